// The OpAMP messages we send and read, written from the field numbers of the OpAMP specification
// (opamp-spec proto/opamp/v1/opamp.proto, v0.18+) as a
// protobufjs JSON descriptor — no code generation and no .proto parsing at run time.
// Only the fields this agent uses are declared; protobufjs skips the others when decoding.

const kv = { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } };

export const OPAMP_SCHEMA = {
  nested: {
    opamp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        KeyValue: kv,
        AgentDescription: {
          fields: {
            identifyingAttributes: { rule: 'repeated', type: 'KeyValue', id: 1 },
            nonIdentifyingAttributes: { rule: 'repeated', type: 'KeyValue', id: 2 },
          },
        },
        ComponentHealth: {
          fields: {
            healthy: { type: 'bool', id: 1 },
            startTimeUnixNano: { type: 'fixed64', id: 2 },
            lastError: { type: 'string', id: 3 },
            status: { type: 'string', id: 4 },
            statusTimeUnixNano: { type: 'fixed64', id: 5 },
            componentHealthMap: { keyType: 'string', type: 'ComponentHealth', id: 6 },
          },
        },
        AgentConfigFile: { fields: { body: { type: 'bytes', id: 1 }, contentType: { type: 'string', id: 2 } } },
        AgentConfigMap: { fields: { configMap: { keyType: 'string', type: 'AgentConfigFile', id: 1 } } },
        EffectiveConfig: { fields: { configMap: { type: 'AgentConfigMap', id: 1 } } },
        RemoteConfigStatus: {
          fields: {
            lastRemoteConfigHash: { type: 'bytes', id: 1 },
            status: { type: 'int32', id: 2 },
            errorMessage: { type: 'string', id: 3 },
          },
        },
        AgentDisconnect: { fields: {} },
        AgentToServer: {
          fields: {
            instanceUid: { type: 'bytes', id: 1 },
            sequenceNum: { type: 'uint64', id: 2 },
            agentDescription: { type: 'AgentDescription', id: 3 },
            capabilities: { type: 'uint64', id: 4 },
            health: { type: 'ComponentHealth', id: 5 },
            effectiveConfig: { type: 'EffectiveConfig', id: 6 },
            remoteConfigStatus: { type: 'RemoteConfigStatus', id: 7 },
            agentDisconnect: { type: 'AgentDisconnect', id: 9 },
            flags: { type: 'uint64', id: 10 },
          },
        },
        RetryInfo: { fields: { retryAfterNanoseconds: { type: 'uint64', id: 1 } } },
        ServerErrorResponse: {
          fields: {
            type: { type: 'int32', id: 1 },
            errorMessage: { type: 'string', id: 2 },
            retryInfo: { type: 'RetryInfo', id: 3 },
          },
        },
        AgentRemoteConfig: { fields: { config: { type: 'AgentConfigMap', id: 1 }, configHash: { type: 'bytes', id: 2 } } },
        OpAMPConnectionSettings: { fields: { heartbeatIntervalSeconds: { type: 'uint64', id: 4 } } },
        ConnectionSettingsOffers: { fields: { opamp: { type: 'OpAMPConnectionSettings', id: 2 } } },
        AgentIdentification: { fields: { newInstanceUid: { type: 'bytes', id: 1 } } },
        ServerToAgent: {
          fields: {
            instanceUid: { type: 'bytes', id: 1 },
            errorResponse: { type: 'ServerErrorResponse', id: 2 },
            remoteConfig: { type: 'AgentRemoteConfig', id: 3 },
            connectionSettings: { type: 'ConnectionSettingsOffers', id: 4 },
            flags: { type: 'uint64', id: 6 },
            capabilities: { type: 'uint64', id: 7 },
            agentIdentification: { type: 'AgentIdentification', id: 8 },
          },
        },
      },
    },
  },
};

export const CAPABILITIES = {
  ReportsStatus: 0x1,
  AcceptsRemoteConfig: 0x2,
  ReportsEffectiveConfig: 0x4,
  ReportsHealth: 0x800,
  ReportsRemoteConfig: 0x1000,
  ReportsHeartbeat: 0x2000,
} as const;
/** 0x3807: never packages, restart or connection settings. */
export const OUR_CAPABILITIES = Object.values(CAPABILITIES).reduce((a, b) => a | b, 0);

export const RemoteConfigStatuses = { UNSET: 0, APPLIED: 1, APPLYING: 2, FAILED: 3 } as const;
export const ServerErrorTypes = { Unknown: 0, BadRequest: 1, Unavailable: 2 } as const;
export const ServerToAgentFlags = { ReportFullState: 0x1 } as const;
