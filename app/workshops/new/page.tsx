import type { Metadata } from 'next';
import { getLessons } from '../../_lib/content/lessons.ts';
import { CreateWorkshop } from '../../_components/workshop/CreateWorkshop.tsx';
import { SiteHeader } from '../../_components/ui/SiteHeader.tsx';

export const metadata: Metadata = { title: 'New workshop' };

export default async function NewWorkshopPage() {
  const lessons = (await getLessons()).map((l) => ({ slug: l.slug, title: l.title }));
  return (
    <>
      <SiteHeader />
      <CreateWorkshop lessons={lessons} />
    </>
  );
}
