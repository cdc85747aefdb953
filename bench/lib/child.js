'use strict';
// Child processes for every side. Each child is started in its own process
// group (detached) so that a timeout or Ctrl-C can end it together with
// anything it forked, by that group's id, and nothing else.
const { spawn } = require('node:child_process');

const live = new Set();

function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function killAll() {
  for (const child of live) killGroup(child);
}

function start(cmd, args, env) {
  const child = spawn(cmd, args, { env: env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

// Runs cmd to completion; resolves { value, note, error, stdout, stderr }.
function runForResult(cmd, args, { env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = start(cmd, args, env);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ value: null, error: `cannot start ${cmd}: ${err.message}`, stdout, stderr });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // The side is done; end anything it left behind in its group.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      const parsed = parseOutput(stdout);
      if (timedOut) parsed.error = `timed out after ${Math.round(timeoutMs / 1000)} s`;
      else if (parsed.error == null && !parsed.hasResult) {
        parsed.error = lastLine(stderr) || `exited with ${signal ?? `code ${code}`} and no RESULT line`;
      }
      resolve({ value: parsed.value, note: parsed.note, error: parsed.error, stdout, stderr });
    });
  });
}

// Protocol of every side: "RESULT <json number|null>", optional "NOTE <text>",
// or "ERROR <text>". The last RESULT line wins.
function parseOutput(stdout) {
  const out = { value: null, note: null, error: null, hasResult: false };
  for (const line of stdout.split('\n')) {
    const m = /^(RESULT|NOTE|ERROR) (.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'RESULT') {
      out.hasResult = true;
      out.value = toNumber(m[2]);
    } else if (m[1] === 'NOTE') out.note = m[2];
    else out.error = m[2];
  }
  if (out.hasResult && out.value == null && out.error == null && out.note == null) out.note = 'no figure';
  return out;
}

function toNumber(text) {
  const v = Number(text);
  return text !== 'null' && Number.isFinite(v) ? v : null;
}

function lastLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1].slice(0, 300) : '';
}

// Starts a long-running child and resolves once a stdout line equals
// readyLine. Returns { child, stop }.
function startUntilReady(cmd, args, { env, readyLine, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = start(cmd, args, env);
    let stdout = '';
    let stderr = '';
    const fail = (why) => {
      clearTimeout(timer);
      killGroup(child);
      reject(new Error(`${why}${stderr ? `: ${lastLine(stderr)}` : ''}`));
    };
    const timer = setTimeout(() => fail(`${cmd} not ready after ${timeoutMs} ms`), timeoutMs);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.split('\n').some((l) => l.trim() === readyLine)) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ child, stop: () => killGroup(child) });
      }
    });
    child.on('error', (err) => fail(`cannot start ${cmd}: ${err.message}`));
    child.on('exit', (code) => fail(`${cmd} exited with code ${code} before ready`));
  });
}

module.exports = { runForResult, startUntilReady, start, killGroup, killAll, parseOutput };
