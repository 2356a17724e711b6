'use client';
/**
 * A printable join card: title, code, link and a QR code made here in the
 * browser (npm `qrcode`), so no external service ever sees the join link.
 */
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import styles from './workshop.module.css';

export function JoinCard({ title, code }: { title: string; code: string }) {
  const [svg, setSvg] = useState<string | null>(null);
  const url = `${location.origin}/join/${code}`;
  useEffect(() => {
    QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then(setSvg, () => setSvg(null));
  }, [url]);
  return (
    <section className={`${styles.card} ${styles.joinCard}`} aria-label="Join card">
      <h2>{title}</h2>
      {svg && <div className={styles.qr} role="img" aria-label={`QR code for ${url}`} dangerouslySetInnerHTML={{ __html: svg }} />}
      <p>
        Open <strong>{url}</strong>
      </p>
      <p>
        or enter the code <span className={styles.code}>{code}</span>
      </p>
      <button className={`btn ${styles.noPrint}`} onClick={() => window.print()}>
        Print
      </button>
    </section>
  );
}
