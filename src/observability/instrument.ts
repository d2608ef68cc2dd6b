import { type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { type EngramMetrics, secondsSince } from './metrics.ts';

/**
 * Wrappers that measure (metrics) and trace (spans) the calls that leave the process: embedding
 * providers, augmentation extractors (LLMs), and the event bus's publish and delivery. The types
 * are structural, so this folder imports nothing from the parts it measures; the composition root
 * (src/engram.ts) applies them. Either side may be null (off): then nothing is added to the call.
 */
export interface Instruments {
  metrics: EngramMetrics | null;
  tracer: Tracer | null;
}

/** Runs `work` inside a span that records its failure; without a tracer, just runs it. */
async function traced<T>(
  tracer: Tracer | null,
  name: string,
  attributes: Record<string, string | number>,
  work: (span: Span | null) => Promise<T>,
): Promise<T> {
  if (!tracer) return work(null);
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

interface EmbedderLike {
  readonly model: string;
  embed(texts: string[], purpose: never): Promise<Float32Array[]>;
}

/** The embedder with every provider call counted, timed and traced (`embedding <model>`). */
export function instrumentEmbedder<E extends EmbedderLike>(embedder: E, { metrics, tracer }: Instruments): E {
  if (!metrics && !tracer) return embedder;
  const embed = embedder.embed.bind(embedder);
  const model = embedder.model;
  const embedInstrumented = (texts: string[], purpose: never) =>
    traced(
      tracer,
      `embedding ${model}`,
      { 'gen_ai.request.model': model, 'engram.texts': texts.length },
      () => {
        const start = process.hrtime.bigint();
        return embed(texts, purpose).then(
          (vectors) => {
            metrics?.observeEmbedding(model, 'ok', texts.length, secondsSince(start));
            return vectors;
          },
          (error: unknown) => {
            metrics?.observeEmbedding(model, 'error', texts.length, secondsSince(start));
            throw error;
          },
        );
      },
    );
  return replacing(embedder, 'embed', embedInstrumented);
}

/**
 * The object with one method replaced. A proxy rather than a copy or a prototype: the other
 * methods still run on the original, whose private fields a copy would not have.
 */
function replacing<T extends object>(target: T, method: keyof T, replacement: unknown): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === method) return replacement;
      const value = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
}

interface ExtractorLike {
  readonly name: string;
  extract(input: never, signal?: AbortSignal): Promise<{ usage?: TokenCounts | null }>;
}

/**
 * The extractor with every call counted, timed and traced (`extraction <name>`), with the tokens
 * an LLM reported, also for a call that failed after spending them (its error carries `usage`).
 */
export function instrumentExtractor<X extends ExtractorLike>(
  extractor: X,
  { metrics, tracer }: Instruments,
): X {
  if (!metrics && !tracer) return extractor;
  const extract = extractor.extract.bind(extractor);
  const name = extractor.name;
  const [system, model] = name.includes(':') ? name.split(/:(.*)/s) : [name, name];
  const extractInstrumented = (input: never, signal?: AbortSignal) =>
    traced(
      tracer,
      `extraction ${name}`,
      { 'gen_ai.system': system ?? name, 'gen_ai.request.model': model ?? name },
      async (span) => {
        const start = process.hrtime.bigint();
        const record = (outcome: 'ok' | 'error', usage: TokenCounts | null | undefined) => {
          metrics?.observeExtraction(name, outcome, secondsSince(start), usage);
          if (span && usage) {
            span.setAttribute('gen_ai.usage.input_tokens', usage.inputTokens);
            span.setAttribute('gen_ai.usage.output_tokens', usage.outputTokens);
          }
        };
        try {
          const extraction = await extract(input, signal);
          record('ok', extraction.usage);
          return extraction;
        } catch (error) {
          record('error', (error as { usage?: TokenCounts } | null)?.usage);
          throw error;
        }
      },
    );
  return replacing(extractor, 'extract', extractInstrumented);
}

interface EventBusLike {
  publish(...args: never[]): void;
  subscribe(...args: never[]): AsyncIterable<unknown>;
}

/**
 * Counts what the bus publishes and what its subscriptions receive, and how many listen now. The
 * subscription's iterator is wrapped, not re-generated: an async generator would not see
 * `return()` while it waits for the next event, and a closed subscription would count for ever.
 */
export function instrumentEventBus<B extends EventBusLike>(bus: B, metrics: EngramMetrics | null): B {
  if (!metrics) return bus;
  const publish = bus.publish.bind(bus) as (...args: unknown[]) => void;
  const subscribe = bus.subscribe.bind(bus) as (...args: unknown[]) => AsyncIterable<unknown>;
  return {
    ...bus,
    publish: ((...args: unknown[]) => {
      metrics.eventPublished(String(args[0]));
      publish(...args);
    }) as B['publish'],
    subscribe: ((...args: unknown[]) => {
      const topic = String(args[0]);
      const iterator = subscribe(...args)[Symbol.asyncIterator]();
      let open = true;
      metrics.subscribed(topic, 1);
      const close = () => {
        if (!open) return;
        open = false;
        metrics.subscribed(topic, -1);
      };
      const wrapped: AsyncIterableIterator<unknown> = {
        [Symbol.asyncIterator]: () => wrapped,
        next: (...value: [] | [unknown]) =>
          iterator.next(...value).then(
            (result) => {
              if (result.done) close();
              else metrics.eventDelivered(topic);
              return result;
            },
            (error: unknown) => {
              close();
              throw error;
            },
          ),
        return: (value?: unknown) => {
          close();
          return iterator.return ? iterator.return(value) : Promise.resolve({ done: true, value });
        },
        throw: (error?: unknown) => {
          close();
          return iterator.throw ? iterator.throw(error) : Promise.reject(error);
        },
      };
      return wrapped;
    }) as B['subscribe'],
  };
}
