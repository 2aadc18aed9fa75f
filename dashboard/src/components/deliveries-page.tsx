import { useMemo, useState } from 'preact/hooks';
import type { ApiClient, DeliveryStatus, Webhook } from '../api.ts';
import { useDeliveryFeed } from '../live.ts';
import { DeliveryLog } from './delivery-list.tsx';

/** The workspace's delivery log: every webhook's deliveries, live, filtered. */
export function DeliveriesPage({
  client,
  webhooks,
  announce,
}: {
  client: ApiClient;
  webhooks: Webhook[] | null;
  announce: (message: string, tone?: 'success' | 'error') => void;
}) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [eventType, setEventType] = useState('');
  const feed = useDeliveryFeed(client, { status: status || undefined, eventType: eventType || undefined });
  const byId = useMemo(() => new Map((webhooks ?? []).map((webhook) => [webhook.id, webhook])), [webhooks]);
  return (
    <>
      <div class="page-head">
        <div class="title-block">
          <h1 tabIndex={-1} data-page-heading>
            Delivery log
          </h1>
          <p class="lede">Every delivery to every webhook of this workspace, newest first, as it happens.</p>
        </div>
      </div>
      <DeliveryLog
        client={client}
        feed={feed}
        webhooks={byId}
        showWebhook
        status={status}
        eventType={eventType}
        onFilter={(nextStatus, nextEvent) => {
          setStatus(nextStatus);
          setEventType(nextEvent);
        }}
        announce={announce}
        idPrefix="ws-log"
        headingId="ws-deliveries-title"
        heading="Deliveries"
        emptyText="No deliveries yet in this workspace."
      />
    </>
  );
}
