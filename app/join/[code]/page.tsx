import type { Metadata } from 'next';
import { JoinForm } from '../../_components/workshop/JoinForm.tsx';
import { SiteHeader } from '../../_components/ui/SiteHeader.tsx';

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
