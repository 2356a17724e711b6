import Link from 'next/link';
import { SiteHeader } from './_components/ui/SiteHeader.tsx';

export default function NotFound() {
  return (
    <>
      <SiteHeader />
      <main id="main" style={{ maxWidth: 640, margin: '64px auto', padding: '0 16px' }}>
        <h1>Page not found</h1>
        <p>
          There is no such lesson or page. <Link href="/">See all lessons</Link>.
        </p>
      </main>
    </>
  );
}
