import type { Metadata, Viewport } from 'next';
import './globals.css';
import { WorkshopBanner } from './_components/workshop/WorkshopBanner.tsx';

export const metadata: Metadata = {
  title: { default: 'Swarm Workbench', template: '%s · Swarm Workbench' },
  description: 'Learn Docker Swarm hands-on: lessons beside a real, disposable swarm of your own.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#ffffff' },
    { media: '(prefers-color-scheme: dark)', color: '#0f1419' },
  ],
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        {children}
        <WorkshopBanner />
      </body>
    </html>
  );
}
