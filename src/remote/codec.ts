// AgentToServer encoding and ServerToAgent decoding with protobufjs (light build: no parser).

import { OPAMP_SCHEMA } from './schema';

export interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number; boolValue?: boolean; doubleValue?: number };
}

export interface ComponentHealth {
  healthy: boolean;
  startTimeUnixNano?: number | string;
  lastError?: string;
  status?: string;
  statusTimeUnixNano?: number | string;
  componentHealthMap?: Record<string, ComponentHealth>;
}

export interface AgentToServer {
  instanceUid: Uint8Array;
  sequenceNum: number;
  capabilities: number;
  agentDescription?: { identifyingAttributes: KeyValue[]; nonIdentifyingAttributes: KeyValue[] };
  health?: ComponentHealth;
  effectiveConfig?: { configMap: { configMap: Record<string, { body: Uint8Array; contentType: string }> } };
  remoteConfigStatus?: { lastRemoteConfigHash?: Uint8Array; status: number; errorMessage?: string };
  agentDisconnect?: Record<string, never>;
  flags?: number;
}

export interface ServerToAgent {
  instanceUid?: Uint8Array;
  errorResponse?: { type?: number; errorMessage?: string; retryInfo?: { retryAfterNanoseconds?: number } };
  remoteConfig?: { config?: { configMap?: Record<string, { body?: Uint8Array; contentType?: string }> }; configHash?: Uint8Array };
  connectionSettings?: { opamp?: { heartbeatIntervalSeconds?: number } };
  flags?: number;
  capabilities?: number;
  agentIdentification?: { newInstanceUid?: Uint8Array };
}

type Type = { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown; toObject(m: unknown, o: unknown): unknown; fromObject(o: unknown): unknown };
let types: { a2s: Type; s2a: Type } | undefined;

function load(): { a2s: Type; s2a: Type } {
  if (!types) {
    const protobuf = require('protobufjs/light') as { Root: { fromJSON(j: unknown): { lookupType(n: string): Type } } };
    const root = protobuf.Root.fromJSON(OPAMP_SCHEMA);
    types = { a2s: root.lookupType('opamp.AgentToServer'), s2a: root.lookupType('opamp.ServerToAgent') };
  }
  return types;
}

export function encodeAgentToServer(message: AgentToServer): Uint8Array {
  const { a2s } = load();
  return a2s.encode(a2s.fromObject(message)).finish();
}

/** Throws on malformed input; the caller turns that into a failed poll. */
export function decodeServerToAgent(bytes: Uint8Array): ServerToAgent {
  const { s2a } = load();
  return s2a.toObject(s2a.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false }) as ServerToAgent;
}
