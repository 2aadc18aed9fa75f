import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, EventType } from '../api.ts';
import { prettyJson } from '../format.ts';
import { CodeBlock } from './bits.tsx';
import { CopyButton } from './copy-button.tsx';

/** Every subscribable event type: what triggers it, the JSON Schema of its data, and an example. */
export function EventTypesPage({ client }: { client: ApiClient }) {
  const [types, setTypes] = useState<EventType[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client
      .eventTypes()
      .then(setTypes)
      .catch((caught: unknown) => setError(caught instanceof Error ? caught.message : 'Loading failed.'));
  }, [client]);
  return (
    <>
      <div class="page-head">
        <div class="title-block">
          <h1 tabIndex={-1} data-page-heading>
            Event types
          </h1>
          <p class="lede">
            Every delivery body is an envelope <code>{'{"event", "data", "created_at"}'}</code>. These are the
            events you can subscribe to, with the schema of their <code>data</code>; producers may add fields.
          </p>
        </div>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {types === null && !error ? (
        <div class="card">
          <div class="skeleton row-skeleton" />
        </div>
      ) : (
        (types ?? []).map((type) => (
          <section key={type.event} class="card event-type" aria-labelledby={`type-${type.event}`}>
            <h2 id={`type-${type.event}`} class="mono">
              {type.event}
            </h2>
            <p>{type.description}</p>
            <div class="bodies">
              <details>
                <summary>Schema of data</summary>
                <CodeBlock class="code">{prettyJson(type.schema)}</CodeBlock>
              </details>
              <div>
                <h3>Example</h3>
                <CodeBlock class="code">{prettyJson(type.example)}</CodeBlock>
                <CopyButton
                  text={JSON.stringify(type.example)}
                  what={`${type.event} example`}
                  class="small"
                />
              </div>
            </div>
          </section>
        ))
      )}
    </>
  );
}
