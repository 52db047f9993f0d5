// The login flow model and its Kratos-shaped JSON (LoginFlow with ui.nodes), kept apart from the
// routes so the built-in login page renders exactly the nodes the API returns.

import type { LoginFlowRecord } from '../../store/store.js';

export const LOGIN_PATH = '/self-service/login';

export interface UiText {
  id: number;
  text: string;
  type: 'error' | 'info' | 'success';
}

export interface UiNode {
  type: 'input';
  group: 'default' | 'password';
  attributes: { name: string; type: string; value?: string; required?: boolean; disabled: boolean; node_type: 'input'; autocomplete?: string };
  messages: UiText[];
  meta: { label?: UiText };
}

export interface LoginFlowJson {
  id: string;
  type: 'api' | 'browser';
  expires_at: string;
  issued_at: string;
  request_url: string;
  return_to?: string;
  refresh: boolean;
  requested_aal: 'aal1';
  state: 'choose_method';
  ui: { action: string; method: 'POST'; nodes: UiNode[]; messages?: UiText[] };
}

/** Kratos's message ids, so clients that switch on them keep working. */
export const Messages = {
  invalidCredentials: {
    id: 4000006,
    text: 'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
    type: 'error',
  },
  missingIdentifier: { id: 4000002, text: 'Property identifier is missing.', type: 'error' },
  missingPassword: { id: 4000002, text: 'Property password is missing.', type: 'error' },
  unknownMethod: { id: 4010002, text: 'Could not find a strategy to sign you in with. Did you fill out the form correctly?', type: 'error' },
  rateLimited: { id: 4000001, text: 'Too many attempts. Please wait a few minutes and try again.', type: 'error' },
} as const satisfies Record<string, UiText>;

export function loginFlowJson(flow: LoginFlowRecord, publicBase: string): LoginFlowJson {
  const input = (name: string, type: string, group: UiNode['group'], extra: Partial<UiNode['attributes']>, label?: UiText): UiNode => ({
    type: 'input',
    group,
    attributes: { name, type, disabled: false, node_type: 'input', ...extra },
    messages: [],
    meta: label ? { label } : {},
  });
  return {
    id: flow.id,
    type: flow.type,
    expires_at: new Date(flow.expiresAt).toISOString(),
    issued_at: new Date(flow.issuedAt).toISOString(),
    request_url: flow.requestUrl,
    ...(flow.returnTo ? { return_to: flow.returnTo } : {}),
    refresh: false,
    requested_aal: 'aal1',
    state: 'choose_method',
    ui: {
      action: `${publicBase}${LOGIN_PATH}?flow=${encodeURIComponent(flow.id)}`,
      method: 'POST',
      nodes: [
        input('csrf_token', 'hidden', 'default', { value: flow.type === 'browser' ? flow.csrfToken : '', required: true }),
        input('identifier', 'text', 'default', { value: '', required: true, autocomplete: 'username' }, { id: 1070004, text: 'ID', type: 'info' }),
        input('password', 'password', 'password', { required: true, autocomplete: 'current-password' }, { id: 1070001, text: 'Password', type: 'info' }),
        input('method', 'submit', 'password', { value: 'password' }, { id: 1010001, text: 'Sign in', type: 'info' }),
      ],
      ...(flow.messages.length ? { messages: flow.messages } : {}),
    },
  };
}

const uiTextSchema = {
  type: 'object',
  properties: { id: { type: 'integer' }, text: { type: 'string' }, type: { type: 'string' } },
} as const;

export const loginFlowSchema = {
  type: 'object',
  required: ['id', 'type', 'expires_at', 'issued_at', 'request_url', 'state', 'ui'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['api', 'browser'] },
    expires_at: { type: 'string', format: 'date-time' },
    issued_at: { type: 'string', format: 'date-time' },
    request_url: { type: 'string' },
    return_to: { type: 'string' },
    refresh: { type: 'boolean' },
    requested_aal: { type: 'string' },
    state: { type: 'string' },
    ui: {
      type: 'object',
      required: ['action', 'method', 'nodes'],
      properties: {
        action: { type: 'string' },
        method: { type: 'string' },
        messages: { type: 'array', items: uiTextSchema },
        nodes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              type: { type: 'string' },
              group: { type: 'string' },
              attributes: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  type: { type: 'string' },
                  value: { type: 'string' },
                  required: { type: 'boolean' },
                  disabled: { type: 'boolean' },
                  node_type: { type: 'string' },
                  autocomplete: { type: 'string' },
                },
              },
              messages: { type: 'array', items: uiTextSchema },
              meta: { type: 'object', properties: { label: uiTextSchema } },
            },
          },
        },
      },
    },
  },
} as const;
