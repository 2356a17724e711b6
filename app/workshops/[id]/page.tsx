import type { Metadata } from 'next';
import { InstructorDashboard } from '../../_components/workshop/InstructorDashboard.tsx';
import { SiteHeader } from '../../_components/ui/SiteHeader.tsx';

export const metadata: Metadata = { title: 'Workshop dashboard', referrer: 'no-referrer' };

export default async function WorkshopPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <>
      <SiteHeader />
      <InstructorDashboard id={id} />
    </>
  );
}
