import type { TestResult } from '../api.ts';
import { describeStatus } from '../format.ts';
import { CodeBlock } from './bits.tsx';
import { CopyButton } from './copy-button.tsx';

const EXCERPT_CHARS = 600;

function explain(result: TestResult): string {
  if (result.status === 'sent') {
    return `Your endpoint answered ${describeStatus(result.status_code ?? 200)}. It is ready to receive events.`;
  }
  if (result.error) return `The request did not get an answer: ${result.error}.`;
  if (result.status_code !== null) {
    return `Your endpoint answered ${describeStatus(result.status_code)}. Deliveries count as successful only with a 2xx answer within 5 seconds.`;
  }
  return 'The request did not get an answer.';
}

/** The outcome of "Send test": sent or failed, status code, the start of the response, and the signature. */
export function TestResultPanel({ result, onDismiss }: { result: TestResult; onDismiss: () => void }) {
  const sent = result.status === 'sent';
  const body = result.response_body ?? '';
  const excerpt = body.length > EXCERPT_CHARS ? `${body.slice(0, EXCERPT_CHARS)}…` : body;
  return (
    <section class={`test-result ${sent ? 'is-sent' : 'is-failed'}`} aria-labelledby="test-result-title">
      <div class="test-result-head">
        <h2 id="test-result-title">
          <span class={`badge ${sent ? 'badge-success' : 'badge-danger'}`}>
            <span class="dot" aria-hidden="true" />
            {sent ? 'Sent' : 'Failed'}
          </span>
          {sent ? 'Test delivered' : 'Test delivery failed'}
        </h2>
        <button type="button" class="icon-button" aria-label="Dismiss test result" onClick={onDismiss}>
          <svg viewBox="0 0 20 20" aria-hidden="true" width="20" height="20">
            <path d="M5 5l10 10M15 5L5 15" />
          </svg>
        </button>
      </div>
      <p>{explain(result)}</p>
      <dl class="facts test-facts">
        <div>
          <dt>Status code</dt>
          <dd data-testid="test-status-code">
            {result.status_code === null ? 'No response' : describeStatus(result.status_code)}
          </dd>
        </div>
        {result.error && (
          <div>
            <dt>Error</dt>
            <dd>{result.error}</dd>
          </div>
        )}
        <div class="wide">
          <dt>Signature sent (X-Encrata-Signature header)</dt>
          <dd class="signature">
            <code class="mono break" data-testid="test-signature">
              {result.signature}
            </code>
            <CopyButton text={result.signature} what="signature" class="small" />
          </dd>
        </div>
        <div class="wide">
          <dt>Response body</dt>
          <dd>
            {excerpt ? <CodeBlock class="code">{excerpt}</CodeBlock> : <span class="muted">Empty</span>}
          </dd>
        </div>
      </dl>
    </section>
  );
}
