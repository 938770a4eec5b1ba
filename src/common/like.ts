// SQL LIKE patterns (select predicates, `show ... like`) as anchored regular expressions: %
// any run, _ one character, backslash escapes the next character. Compiled once per distinct
// pattern. Only regex syntax characters are escaped: with the 'u' flag any other escape
// (`\-`) is a syntax error.
import { Limits } from './limits.js';

const cache = new Map<string, RegExp>();

export function likeToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      src += escapeRe(pattern[++i]!);
      continue;
    }
    if (ch === '%') src += '[\\s\\S]*';
    else if (ch === '_') src += '[\\s\\S]';
    else src += escapeRe(ch);
  }
  const re = new RegExp(src + '$', 'u');
  if (cache.size >= Limits.maxLikeCacheEntries) cache.clear();
  cache.set(pattern, re);
  return re;
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? '\\' + ch : ch;
}
