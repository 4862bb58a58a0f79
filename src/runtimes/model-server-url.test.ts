import { describe, expect, it } from 'vitest';
import { isModelServerSource, modelServerEndpoint } from './model-server-url.js';

const href = (source: string, hosts: string[]) => modelServerEndpoint(source, hosts).href;
const refused = (source: string, hosts: string[], message: RegExp) => expect(() => modelServerEndpoint(source, hosts)).toThrow(message);

describe('modelServerEndpoint', () => {
  it('rebuilds the /invocations URL from the parsed parts', () => {
    expect(href('http://models.internal:5001', ['models.internal:5001'])).toBe('http://models.internal:5001/invocations');
    expect(href('http://models.internal:5001/churn/', ['models.internal'])).toBe('http://models.internal:5001/churn/invocations');
    expect(href('HTTPS://Models.Internal/churn/invocations', ['models.internal'])).toBe('https://models.internal/churn/invocations');
    // Dot segments are resolved by the URL parser before the path is used.
    expect(href('http://127.0.0.1:9/a/../b/%2e%2e/c', ['127.0.0.1:9'])).toBe('http://127.0.0.1:9/c/invocations');
  });

  it('matches hosts and ports as listed: a bare host any port, host:port exactly, default ports, *.domain subdomains, IPv6', () => {
    expect(href('https://m.example.com', ['m.example.com:443'])).toBe('https://m.example.com/invocations');
    refused('http://m.example.com', ['m.example.com:443'], /not an allowed model server host/);
    refused('http://127.0.0.1:8081', ['127.0.0.1:8080'], /not an allowed/);
    expect(href('http://a.models.example.com', ['*.models.example.com'])).toBe('http://a.models.example.com/invocations');
    refused('http://models.example.com', ['*.models.example.com'], /not an allowed/);
    refused('http://evilmodels.example.com', ['*.models.example.com'], /not an allowed/);
    refused('http://models.example.com.evil.test', ['models.example.com'], /not an allowed/);
    expect(href('http://[::1]:8080/', ['[::1]:8080'])).toBe('http://[::1]:8080/invocations');
    refused('http://[::1]:8081/', ['[::1]:8080'], /not an allowed/);
    refused('http://127.0.0.1', [], /none are configured.*--model-server-hosts \(env SLIPWAY_MODEL_SERVER_HOSTS\)/);
  });

  it('refuses what would bend the URL: queries, fragments, credentials, other schemes', () => {
    refused('http://127.0.0.1/admin?', ['127.0.0.1'], /query/);
    refused('http://127.0.0.1/admin?x=/invocations', ['127.0.0.1'], /query/);
    refused('http://127.0.0.1/admin#/invocations', ['127.0.0.1'], /fragment/);
    refused('http://127.0.0.1@169.254.169.254/', ['127.0.0.1'], /user name or password/);
    refused('http://u:p@127.0.0.1/', ['127.0.0.1'], /user name or password/);
    refused('file:///etc/passwd', ['127.0.0.1'], /http or https, not file/);
    refused('http//127.0.0.1', ['127.0.0.1'], /not a URL/);
  });

  it('tells model-server sources from file sources', () => {
    expect(['http://x', 'HTTPS://x'].map(isModelServerSource)).toEqual([true, true]);
    expect(['runs:/abc/model', 's3://b/k', 'mlflow-artifacts:/0/x'].map(isModelServerSource)).toEqual([false, false, false]);
  });
});
