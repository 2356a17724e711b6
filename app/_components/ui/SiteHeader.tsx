import Link from 'next/link';
import type { ReactNode } from 'react';
import styles from './SiteHeader.module.css';

export function SiteHeader({ children }: { children?: ReactNode }) {
  return (
    <header className={styles.header}>
      <Link href="/" className={styles.brand}>
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" className={styles.logo}>
          <rect x="2" y="3" width="8" height="6" rx="1.5" />
          <rect x="14" y="3" width="8" height="6" rx="1.5" />
          <rect x="8" y="15" width="8" height="6" rx="1.5" />
          <path d="M6 9v3h12V9M12 12v3" fill="none" strokeWidth="1.6" />
        </svg>
        <span>Swarm Workbench</span>
      </Link>
      {children}
    </header>
  );
}
