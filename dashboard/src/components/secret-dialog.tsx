import { useRef } from 'preact/hooks';
import type { CreatedWebhook } from '../api.ts';
import { CodeBlock } from './bits.tsx';
import { CopyButton } from './copy-button.tsx';
import { Modal } from './modal.tsx';

const VERIFY_EXAMPLE = `import { createHmac, timingSafeEqual } from 'node:crypto';

// rawBody: the request body exactly as received (bytes, not re-serialized JSON)
const expected = createHmac('sha256', process.env.ENCRATA_WEBHOOK_SECRET)
  .update(rawBody)
  .digest('hex');
const received = req.headers['x-encrata-signature'] ?? '';
const valid = received.length === expected.length &&
  timingSafeEqual(Buffer.from(received), Buffer.from(expected));`;

/**
 * The one time the signing secret is shown. Escape does not close it: the user closes it on
 * purpose, after being told plainly that it will not be shown again.
 */
export function SecretDialog({ webhook, onClose }: { webhook: CreatedWebhook; onClose: () => void }) {
  const secretRef = useRef<HTMLElement>(null);
  return (
    <Modal
      labelledBy="secret-title"
      describedBy="secret-warning"
      onClose={onClose}
      requireExplicitClose
      className="modal-secret"
    >
      <header class="modal-header">
        <h2 id="secret-title">Webhook created: copy its signing secret</h2>
      </header>
      <div class="modal-body">
        <p>
          Every request to <strong class="mono break">{webhook.url}</strong> is signed with this secret. Your
          server uses it to check the <code>X-Encrata-Signature</code> header.
        </p>
        <div class="secret-box">
          <code ref={secretRef} class="secret-value" data-testid="webhook-secret">
            {webhook.secret}
          </code>
          <CopyButton
            text={webhook.secret}
            what="secret"
            fallbackTarget={() => secretRef.current}
            autofocus
          />
        </div>
        <p id="secret-warning" class="warning">
          <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" class="warning-icon">
            <path d="M10 2.5 18.5 17h-17L10 2.5Z" />
            <path d="M10 8v4.2M10 14.6v.1" />
          </svg>
          <span>
            <strong>This secret will not be shown again.</strong> Copy it now and keep it somewhere safe, such
            as your server's secret store. If you lose it, delete this webhook and add it again to get a new
            secret.
          </span>
        </p>
        <details class="verify-example">
          <summary>How to verify a request (Node.js)</summary>
          <CodeBlock>
            <code>{VERIFY_EXAMPLE}</code>
          </CodeBlock>
        </details>
      </div>
      <footer class="modal-footer">
        <button type="button" class="button primary" onClick={onClose}>
          I've saved the secret
        </button>
      </footer>
    </Modal>
  );
}
