import type { Metadata } from 'next';
import { getLessons } from '../../_lib/content/lessons';
import { CreateWorkshop } from '../../_components/workshop/CreateWorkshop';
import { SiteHeader } from '../../_components/ui/SiteHeader';

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
