'use client';
/**
 * Printable join cards: title, code, link and a QR code made here in the
 * browser (npm `qrcode`), so no external service ever sees the join link.
 * The screen shows one card; printing gives a sheet of cards to cut out and
 * hand round (every learner uses the same code).
 */
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import styles from './workshop.module.css';

const CARDS_PER_SHEET = 6;

export function JoinCard({ title, code }: { title: string; code: string }) {
  const [svg, setSvg] = useState<string | null>(null);
  const url = `${location.origin}/join/${code}`;
  useEffect(() => {
    QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then(setSvg, () => setSvg(null));
  }, [url]);
  const body = (qrLabel?: string) => (
    <>
      <h2>{title}</h2>
      {svg && <div className={styles.qr} {...(qrLabel ? { role: 'img', 'aria-label': qrLabel } : {})} dangerouslySetInnerHTML={{ __html: svg }} />}
      <p>
        Open <strong>{url}</strong>
      </p>
      <p>
        or enter the code <span className={styles.code}>{code}</span>
      </p>
    </>
  );
  return (
    <>
      <section className={`${styles.card} ${styles.joinCard}`} aria-label="Join card">
        {body(`QR code for ${url}`)}
        <button className="btn" onClick={() => window.print()}>
          Print a sheet of {CARDS_PER_SHEET} cards
        </button>
      </section>
      <div className={styles.printSheet} aria-hidden="true" data-testid="print-sheet">
        {Array.from({ length: CARDS_PER_SHEET }, (_, i) => (
          <div key={i} className={styles.printCard}>
            {body()}
          </div>
        ))}
      </div>
    </>
  );
}
