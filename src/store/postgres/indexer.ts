/**
 * The search indexer PostgreSQL hands the parse stage (Backend.searchIndexer): loaded in each parse
 * thread, it turns a page's title and text into the pages.search tsvector there, so the server
 * need not run to_tsvector (0.7 ms of server CPU per page, README "Crawling on many machines").
 */
import { tsvectorBinary } from './search-terms.js';

/** The page's tsvector in PostgreSQL's binary format (the write sends it as is: no text to parse on the server). */
export default function searchVector(title: string | null, text: string): Uint8Array {
  return tsvectorBinary(title, text);
}
