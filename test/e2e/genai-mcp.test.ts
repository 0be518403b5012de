// @modelcontextprotocol/sdk: a real MCP client (the app, calling tools inside its own HTTP
// requests) and a real MCP server (a child process over stdio), both under the preload, against
// the real OTLP receiver. The client's `tools/call get_weather` is a CLIENT span under the app's
// request; the server's is a SERVER span, its child through `params._meta` (the trace crosses the
// pipe), in the server's own service. The SDK is required and imported by subpath only (it has
// no main entry): CommonJS is patched at the first subpath require, ES modules through the
// import hook's file list (instrumentations/genai/mcp.ts). The SDKs are installed in the corpus
// cache (test/corpus/apps/genai-mcp*): the newest release, and an old one of the same major.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import { genaiApp, point, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(async () => {
  await receiver.stop();
});

const ROUTES = ['/tool', '/tool-error', '/tool-missing', '/prompt', '/tool-own-context', '/tool-timeout'];
/** The trace context the app puts into `_meta` itself on /tool-own-context (fixtures/genai/mcp-routes.cjs). */
const APP_TRACE_ID = '11111111111111111111111111111111';
const APP_SPAN_ID = '2222222222222222';
const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);
const mcpChild = (spans: ReceivedSpan[], parent: ReceivedSpan | undefined) => parent && spans.find((s) => s.parentSpanId === parent.spanId && s.attributes['mcp.method.name'] !== undefined);
const serverSide = (service: string, client: ReceivedSpan | undefined) => client && of(`${service}-server`).find((s) => s.kind === 'SPAN_KIND_SERVER' && s.parentSpanId === client.spanId);

describe.each([
  ['1.32 (newest)', 'CommonJS (require)', 'mcp-app.cjs', 'genai-mcp'],
  ['1.32 (newest)', 'ES module (import)', 'mcp-app.mjs', 'genai-mcp'],
  ['1.10', 'CommonJS (require)', 'mcp-app.cjs', 'genai-mcp1'],
  ['1.10', 'ES module (import)', 'mcp-app.mjs', 'genai-mcp1'],
])('@modelcontextprotocol/sdk %s, %s', (_version, _label, script, appName) => {
  const service = `${appName}-${script.replace('.', '-')}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    app = startGenaiApp(receiver, 'http://127.0.0.1:9', genaiApp(appName), script, service, {});
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of ROUTES) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    const slow = () => of(`${service}-server`).some((s) => s.kind === 'SPAN_KIND_SERVER' && s.name === 'tools/call slow');
    const own = () => of(`${service}-server`).some((s) => s.kind === 'SPAN_KIND_SERVER' && s.traceId === APP_TRACE_ID);
    await receiver.waitFor(() => own() && slow() && ROUTES.filter((r) => r !== '/tool-own-context' && r !== '/tool-timeout').every((r) => serverSide(service, mcpChild(of(service), serverSpan(of(service), r)))), DEADLINE_MS, `MCP spans of ${service}`);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('tools/call: a CLIENT span under the request, the SERVER span its child across the pipe', () => {
    expect(JSON.parse(answers['/tool'].body)).toEqual({ text: 'Sunny in Paris' });
    const spans = of(service);
    const request = serverSpan(spans, '/tool');
    const client = mcpChild(spans, request);
    expect(client?.name).toBe('tools/call get_weather');
    expect(client?.kind).toBe('SPAN_KIND_CLIENT');
    expect(client?.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather', 'gen_ai.operation.name': 'execute_tool', 'network.transport': 'pipe' });
    expect(client?.attributes['jsonrpc.request.id']).toMatch(/^\d+$/);
    const server = serverSide(service, client);
    expect(server?.name).toBe('tools/call get_weather');
    expect(server?.traceId).toBe(request?.traceId);
    expect(server?.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather', 'gen_ai.operation.name': 'execute_tool', 'network.transport': 'pipe', 'jsonrpc.request.id': client?.attributes['jsonrpc.request.id'] });
    // Exactly one MCP span per side for the call.
    expect(spans.filter((s) => s.parentSpanId === request?.spanId && s.attributes['mcp.method.name'] !== undefined)).toHaveLength(1);
  });

  it("a traceparent the app put into _meta itself reaches the peer as written; the CLIENT span is still made", () => {
    expect(JSON.parse(answers['/tool-own-context'].body)).toEqual({ text: 'Rain tomorrow' });
    const spans = of(service);
    const client = mcpChild(spans, serverSpan(spans, '/tool-own-context'));
    expect(client?.name).toBe('tools/call forecast');
    const server = of(`${service}-server`).find((s) => s.kind === 'SPAN_KIND_SERVER' && s.traceId === APP_TRACE_ID);
    expect(server?.name).toBe('tools/call forecast');
    expect(server?.parentSpanId).toBe(APP_SPAN_ID);
  });

  it('a request the client cancelled (its timeout) is an error on both sides, not a success on the server', () => {
    expect(JSON.parse(answers['/tool-timeout'].body)).toEqual({ code: -32001 });
    const spans = of(service);
    const client = mcpChild(spans, serverSpan(spans, '/tool-timeout'));
    expect(client?.name).toBe('tools/call slow');
    expect(client?.attributes['error.type']).toBe('-32001');
    const server = serverSide(service, client);
    expect(server?.status?.code).toBe('STATUS_CODE_ERROR');
    expect(server?.attributes['error.type']).toBe('cancelled');
  });

  it('notifications: one the client sends (initialized) is a CLIENT span there and a SERVER span on the server; the cancel its timeout sends is received as a SERVER span', async () => {
    const server = (name: string) => of(`${service}-server`).find((s) => s.kind === 'SPAN_KIND_SERVER' && s.name === name);
    await receiver.waitFor(() => !!server('notifications/cancelled') && !!server('notifications/initialized'), DEADLINE_MS, 'the notification spans');
    const sent = of(service).find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.name === 'notifications/initialized');
    expect(sent?.attributes).toMatchObject({ 'mcp.method.name': 'notifications/initialized', 'network.transport': 'pipe' });
    expect(sent?.attributes['jsonrpc.request.id']).toBeUndefined();
    expect(server('notifications/initialized')?.attributes).toMatchObject({ 'mcp.method.name': 'notifications/initialized', 'network.transport': 'pipe' });
    // The SDK writes the cancel to its transport itself, not through notification(): no CLIENT span.
    expect(server('notifications/cancelled')?.attributes['mcp.method.name']).toBe('notifications/cancelled');
  });

  it('a failing tool is tool_error on both sides; an unknown tool fails with its JSON-RPC code or as a tool error', () => {
    expect(JSON.parse(answers['/tool-error'].body)).toMatchObject({ isError: true });
    const spans = of(service);
    const client = mcpChild(spans, serverSpan(spans, '/tool-error'));
    expect(client?.name).toBe('tools/call broken');
    expect(client?.attributes['error.type']).toBe('tool_error');
    expect(client?.status?.code).toBe('STATUS_CODE_ERROR');
    const server = serverSide(service, client);
    expect(server?.attributes['error.type']).toBe('tool_error');
    expect(server?.status?.code).toBe('STATUS_CODE_ERROR');
    const missing = mcpChild(spans, serverSpan(spans, '/tool-missing'));
    // Newer releases answer an unknown tool with isError, older ones with JSON-RPC -32602.
    expect(['tool_error', '-32602']).toContain(missing?.attributes['error.type']);
    expect(serverSide(service, missing)?.attributes['error.type']).toBe(missing?.attributes['error.type']);
  });

  it('prompts/get names the prompt; the initialize handshake has its spans too', () => {
    expect(JSON.parse(answers['/prompt'].body)).toEqual({ text: 'Hello, prompt' });
    const spans = of(service);
    const client = mcpChild(spans, serverSpan(spans, '/prompt'));
    expect(client?.name).toBe('prompts/get greet');
    expect(client?.attributes['gen_ai.prompt.name']).toBe('greet');
    expect(client?.attributes['gen_ai.operation.name']).toBeUndefined();
    expect(serverSide(service, client)?.name).toBe('prompts/get greet');
    expect(spans.find((s) => s.name === 'initialize' && s.kind === 'SPAN_KIND_CLIENT')).toBeDefined();
  });

  it('mcp.client.operation.duration and mcp.server.operation.duration; no GenAI model metrics from tool calls', async () => {
    const tool = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather' };
    const broken = { 'gen_ai.tool.name': 'broken', 'error.type': 'tool_error' };
    await receiver.waitFor(() => !!point(receiver, service, 'mcp.client.operation.duration', tool) && !!point(receiver, service, 'mcp.client.operation.duration', broken) && !!point(receiver, `${service}-server`, 'mcp.server.operation.duration', tool), DEADLINE_MS, 'MCP metrics');
    expect(point(receiver, service, 'mcp.client.operation.duration', tool)?.count).toBe(1);
    expect(point(receiver, `${service}-server`, 'mcp.server.operation.duration', tool)?.count).toBe(1);
    expect(point(receiver, service, 'mcp.client.operation.duration', broken)?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', {})).toBeUndefined();
  });

  it('no tool arguments or results leave the process', () => {
    const sent = JSON.stringify([...of(service), ...of(`${service}-server`)]);
    expect(sent).not.toContain('Paris');
    expect(sent).not.toContain('weather station');
  });
});
