import type { Metadata } from 'next';
import { JoinForm } from '../../_components/workshop/JoinForm';
import { SiteHeader } from '../../_components/ui/SiteHeader';

export const metadata: Metadata = { title: 'Join a workshop' };

export default async function JoinPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  return (
    <>
      <SiteHeader />
      <JoinForm code={code} />
    </>
  );
}
