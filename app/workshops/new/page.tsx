import type { Metadata } from 'next';
import { getLessons } from '../../_lib/content/lessons.ts';
import { CreateWorkshop } from '../../_components/workshop/CreateWorkshop.tsx';
import { SiteHeader } from '../../_components/ui/SiteHeader.tsx';

// The instructor key arrives in this page's fragment: nothing it loads carries a Referer.
export const metadata: Metadata = { title: 'New workshop', referrer: 'no-referrer' };

export default async function NewWorkshopPage() {
  const lessons = (await getLessons()).map((l) => ({ slug: l.slug, title: l.title }));
  return (
    <>
      <SiteHeader />
      <CreateWorkshop lessons={lessons} />
    </>
  );
}
