/** HTTP helpers of the synthetic site: listening, plain responses, redirects, pages with validators. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function send(req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function redirect(res: http.ServerResponse, status: 301 | 302, location: string): void {
  res.writeHead(status, { Location: location, 'Content-Length': 0 });
  res.end();
}

/** Sends a page, or 304 when the request's validators match (If-None-Match wins over If-Modified-Since). */
export function sendPage(req: http.IncomingMessage, res: http.ServerResponse, html: string, etag: string, mtime: number): void {
  const lastModified = new Date(mtime * 1000).toUTCString();
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  let fresh = false;
  if (inm !== undefined) {
    fresh = inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  } else if (ims !== undefined) {
    const since = Date.parse(ims);
    fresh = !Number.isNaN(since) && mtime * 1000 <= since;
  }
  if (fresh) {
    res.writeHead(304, { ETag: etag, 'Last-Modified': lastModified });
    res.end();
    return;
  }
  const buf = Buffer.from(html);
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': buf.length, ETag: etag, 'Last-Modified': lastModified });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function etagOf(html: string): string {
  return `"${createHash('sha1').update(html).digest('base64url').slice(0, 16)}"`;
}

/** A Last-Modified (in whole seconds) later than `prev`, so If-Modified-Since sees the change. */
export function nextMtime(prev: number | undefined): number {
  return Math.max(Math.floor(Date.now() / 1000), (prev ?? 0) + 1);
}

/** BFS over the link graph as the server would serve it (removed pages and replaced pages included). */
