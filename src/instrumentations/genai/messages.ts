// Captured content in the shape the GenAI conventions define for `gen_ai.input.messages`,
// `gen_ai.output.messages` and `gen_ai.system_instructions` (gen-ai-input-messages.json,
// gen-ai-output-messages.json, gen-ai-system-instructions.json): messages of `role` and `parts`,
// each part typed (`text` with `content`, `tool_call`, `tool_call_response`, `reasoning`, `blob`,
// `uri`), an output message with its `finish_reason`; system instructions a list of parts. The
// openai path gets it from upstream's instrumentation; ours (Anthropic before 0.134, Google GenAI,
// the Vercel AI SDK) map their SDK's own shapes here. Only called with the content switch on; what
// comes out is redacted and bounded by content.ts like any captured value.

export type Part = Record<string, unknown> & { type: string };
export interface Message {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

const str = (v: unknown): v is string => typeof v === 'string';
const obj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Gemini names the assistant `model`; the conventions' roles are system, user, assistant, tool. */
function role(r: unknown): string {
  if (r === 'model') return 'assistant';
  return str(r) && r ? r : 'user';
}

/**
 * One part, from any of the SDKs' shapes: Anthropic's content blocks (`text`, `tool_use`,
 * `tool_result`, `thinking`, `image`), the Vercel AI SDK's (`text`, `tool-call`, `tool-result`,
 * `reasoning`, `file`, `image`), Gemini's parts (`text`, `functionCall`, `functionResponse`,
 * `inlineData`, `fileData`, `thought`). Anything else keeps its type only.
 */
export function toPart(p: unknown): Part {
  if (str(p)) return { type: 'text', content: p };
  if (!obj(p)) return { type: 'unknown' };
  const type = p.type;
  // Gemini: no type, one key names the part.
  if (type === undefined) {
    if (str(p.text)) return p.thought === true ? { type: 'reasoning', content: p.text } : { type: 'text', content: p.text };
    const call = p.functionCall;
    if (obj(call)) return { type: 'tool_call', id: call.id ?? null, name: call.name, arguments: call.args ?? null };
    const response = p.functionResponse;
    if (obj(response)) return { type: 'tool_call_response', id: response.id ?? null, response: response.response ?? null };
    const inline = p.inlineData;
    if (obj(inline)) return { type: 'blob', modality: modality(inline.mimeType), mime_type: inline.mimeType, content: inline.data };
    const file = p.fileData;
    if (obj(file)) return { type: 'uri', modality: modality(file.mimeType), mime_type: file.mimeType, uri: file.fileUri };
    return { type: 'unknown' };
  }
  switch (type) {
    case 'text':
      return { type: 'text', content: str(p.text) ? p.text : '' };
    case 'tool_use':
      return { type: 'tool_call', id: p.id, name: p.name, arguments: p.input ?? null };
    case 'tool-call':
      return { type: 'tool_call', id: p.toolCallId, name: p.toolName, arguments: p.input ?? p.args ?? null };
    case 'tool_result':
      return { type: 'tool_call_response', id: p.tool_use_id, response: p.content ?? null };
    case 'tool-result':
      return { type: 'tool_call_response', id: p.toolCallId, response: p.output ?? p.result ?? null };
    case 'thinking':
      return { type: 'reasoning', content: p.thinking };
    case 'reasoning':
      return { type: 'reasoning', content: p.text };
    case 'image':
    case 'document':
    case 'file': {
      const source = obj(p.source) ? p.source : p;
      const mime = source.media_type ?? source.mediaType ?? source.mimeType;
      const data = source.data ?? source.image;
      const uri = source.url ?? (data instanceof URL ? String(data) : str(data) && /^https?:/.test(data) ? data : undefined);
      if (uri) return { type: 'uri', modality: modality(mime, type), mime_type: mime, uri };
      return { type: 'blob', modality: modality(mime, type), mime_type: mime, content: str(data) ? data : '[binary]' };
    }
    default:
      return { type: str(type) ? type : 'unknown' };
  }
}

function modality(mime: unknown, type?: unknown): string {
  const m = str(mime) ? mime.split('/')[0] : type === 'image' ? 'image' : '';
  return m === 'image' || m === 'video' || m === 'audio' ? m : 'file';
}

/** A message's content, a string or a list of parts. */
export function toParts(content: unknown): Part[] {
  if (content === undefined || content === null) return [];
  if (Array.isArray(content)) return content.map(toPart);
  if (obj(content) && Array.isArray(content.parts)) return content.parts.map(toPart);
  return [toPart(content)];
}

/** Input messages of `{ role, content }` (Anthropic, the Vercel AI SDK) or `{ role, parts }` (Gemini). */
export function toMessages(messages: unknown): Message[] | undefined {
  if (messages === undefined || messages === null) return undefined;
  if (str(messages)) return [{ role: 'user', parts: [{ type: 'text', content: messages }] }];
  const list = Array.isArray(messages) ? messages : [messages];
  // Gemini's contents may be bare parts (strings or parts without a role): one user message.
  if (list.every((m) => str(m) || (obj(m) && !('role' in m) && !('parts' in m)))) return [{ role: 'user', parts: list.map(toPart) }];
  return list.map((m) => (obj(m) ? { role: role(m.role), parts: toParts('parts' in m ? m.parts : m.content) } : { role: 'user', parts: [toPart(m)] }));
}

/** System instructions: a list of parts, from a string, blocks, a Gemini Content, or system messages. */
export function toInstructions(system: unknown): Part[] | undefined {
  if (system === undefined || system === null || system === '') return undefined;
  const list = Array.isArray(system) ? system : [system];
  const parts = list.flatMap((s) => (obj(s) && s.role === 'system' ? toParts(s.content) : obj(s) && Array.isArray(s.parts) ? toParts(s) : [toPart(s)]));
  return parts.length ? parts : undefined;
}

/** One output message of the assistant, with its finish reason as the provider gave it. */
export function toOutput(content: unknown, finishReason: unknown): Message[] {
  return [{ role: 'assistant', parts: toParts(content), finish_reason: str(finishReason) && finishReason ? finishReason : 'unknown' }];
}
