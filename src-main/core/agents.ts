import http from 'node:http';
import https from 'node:https';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';

/**
 * The connection pools got uses (its `agent` option): keep-alive agents shared by every task (many
 * small files reuse connections), and proxy agents from the settings or HTTPS_PROXY / HTTP_PROXY,
 * honouring NO_PROXY. Loopback is never proxied.
 */
export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

const agentOptions = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' as const };
const direct: Agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
const proxied = new Map<string, Agents>();

export function agentsFor(url: string, settingsProxy: string, env: NodeJS.ProcessEnv = process.env): Agents {
  const target = new URL(url);
  const proxy = settingsProxy || (target.protocol === 'https:' ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy || bypassProxy(target.hostname, settingsProxy ? '' : env.NO_PROXY ?? env.no_proxy ?? '')) return direct;
  let agents = proxied.get(proxy);
  if (!agents) {
    const options = { ...agentOptions, proxy };
    agents = { http: new HttpProxyAgent(options), https: new HttpsProxyAgent(options) };
    proxied.set(proxy, agents);
  }
  return agents;
}

function bypassProxy(hostname: string, noProxy: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return true;
  return noProxy
    .split(',')
    .map((entry) => entry.trim().toLowerCase().replace(/:\d+$/, ''))
    .filter(Boolean)
    .some((entry) => entry === '*' || host === entry.replace(/^\./, '') || host.endsWith(entry.startsWith('.') ? entry : `.${entry}`));
}
