/* The observer page: one event stream (/events) keeps it live; views render from the last event. */
'use strict';
(function () {
  var token = new URLSearchParams(location.search).get('token');
  var state = { view: 'nodes', node: null, sort: 'mailboxLength', filter: '', selected: null, last: null, history: {}, allowWrite: false };
  var source = null;
  var charts = {};

  function withToken(url) {
    if (token === null) return url;
    return url + (url.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(token);
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' kB';
    return (n / 1048576).toFixed(1) + ' MB';
  }
  function duration(ms) {
    var s = Math.floor(ms / 1000);
    var pad = function (x) { return (x < 10 ? '0' : '') + x; };
    return Math.floor(s / 3600) + ':' + pad(Math.floor(s / 60) % 60) + ':' + pad(s % 60);
  }
  function when(at) { return new Date(at).toLocaleTimeString(); }
  function rate(x) { return x.toFixed(1); }
  function fill(tbody, rows) { tbody.replaceChildren.apply(tbody, rows); }

  // ---- the stream ----

  function connect() {
    if (source !== null) source.close();
    var q = '/events?view=' + encodeURIComponent(state.view) + (state.node ? '&node=' + encodeURIComponent(state.node) : '');
    source = new EventSource(withToken(q));
    source.onmessage = function (ev) { onEvent(JSON.parse(ev.data)); };
    source.onerror = function () { document.getElementById('status').textContent = 'disconnected: retrying…'; };
  }

  function onEvent(e) {
    state.last = e;
    state.allowWrite = e.allowWrite;
    document.getElementById('observer').textContent = 'as ' + e.observer + (e.allowWrite ? ' (kill and send allowed)' : ' (read-only)');
    document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
    e.nodes.forEach(function (n) {
      var h = e.full ? n.history.slice() : (state.history[n.summary.name] || []).concat(n.history);
      state.history[n.summary.name] = h.slice(-600);
    });
    var names = e.nodes.map(function (n) { return n.summary.name; }).sort();
    updateNodeSelect(names);
    if (state.node === null && names.length > 0) { state.node = names[0]; document.getElementById('node-select').value = state.node; if (state.view !== 'nodes') return connect(); }
    render();
  }

  function updateNodeSelect(names) {
    var sel = document.getElementById('node-select');
    var have = Array.prototype.map.call(sel.options, function (o) { return o.value; });
    if (have.join('\n') === names.join('\n')) return;
    sel.replaceChildren.apply(sel, names.map(function (n) { return el('option', { value: n, text: n }); }));
    if (state.node !== null && names.indexOf(state.node) >= 0) sel.value = state.node;
  }

  function render() {
    var e = state.last;
    if (e === null) return;
    if (state.view === 'nodes') renderNodes(e);
    if (e.view !== state.view || e.node !== state.node) return; // an event of the last subscription
    if (e.data && e.data.error) { document.getElementById('status').textContent = 'error: ' + e.data.error; return; }
    if (state.view === 'processes') renderProcesses(e.data || []);
    if (state.view === 'applications') renderApplications(e.data || [], e);
    if (state.view === 'global') renderGlobal(e.data || []);
    if (state.view === 'pg') renderPg((e.data || {}).pg || []);
  }

  // ---- nodes ----

  function renderNodes(e) {
    var rows = e.nodes.slice().sort(function (a, b) { return a.summary.name < b.summary.name ? -1 : 1; }).map(function (n) {
      var s = n.summary;
      var conns = s.connections.filter(function (c) { return c.peer !== e.observer; }).map(function (c) {
        var r = n.connectionRates[c.peer];
        return c.peer + (r ? ' (' + rate(r.in) + '/' + rate(r.out) + ' msg/s, ' + bytes(r.bytesIn) + '/' + bytes(r.bytesOut) + ' per s)' : '');
      }).join(', ');
      return el('tr', { 'data-node': s.name }, [
        el('td', { text: s.name }), el('td', { text: duration(s.uptimeMs) }), el('td', { class: 'num processes', text: String(s.processCount) }),
        el('td', { class: 'num', text: String(s.runQueue) }), el('td', { class: 'num', text: bytes(s.memory.rss) }),
        el('td', { class: 'num', text: bytes(s.memory.heapUsed) + ' / ' + bytes(s.memory.heapTotal) }), el('td', { class: 'num crashes', text: String(s.crashes) }),
        el('td', { class: 'num', text: rate(n.rates.in) }), el('td', { class: 'num', text: rate(n.rates.out) }), el('td', { text: conns }),
      ]);
    });
    fill(document.querySelector('#nodes-table tbody'), rows);
    fill(document.querySelector('#down-table tbody'), e.down.slice().reverse().map(function (d) {
      return el('tr', { 'data-down': d.node }, [el('td', { text: d.node }), el('td', { text: d.reason }), el('td', { text: when(d.at) }), el('td', { text: d.seenBy })]);
    }));
    drawChart('chart-rates', function (p) { return p.messagesIn + p.messagesOut; });
    drawChart('chart-procs', function (p) { return p.processes; });
  }

  function drawChart(id, pick) {
    if (typeof uPlot === 'undefined') return;
    var names = Object.keys(state.history).filter(function (n) { return state.last.nodes.some(function (x) { return x.summary.name === n; }); }).sort();
    var times = {};
    names.forEach(function (n) { state.history[n].forEach(function (p) { times[Math.round(p.t)] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var data = [xs].concat(names.map(function (n) {
      var byT = {};
      state.history[n].forEach(function (p) { byT[Math.round(p.t)] = pick(p); });
      return xs.map(function (t) { return t in byT ? byT[t] : null; });
    }));
    var key = names.join('\n');
    var c = charts[id];
    if (c && c.key === key) { c.plot.setData(data); return; }
    if (c) c.plot.destroy();
    var colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];
    var opts = {
      width: 520, height: 220, spanGaps: true,
      series: [{}].concat(names.map(function (n, i) { return { label: n, stroke: colors[i % colors.length], width: 2 }; })),
    };
    charts[id] = { key: key, plot: new uPlot(opts, data, document.getElementById(id)) };
  }

  // ---- processes ----

  function renderProcesses(rows) {
    var f = state.filter.toLowerCase();
    var key = state.sort;
    var list = rows.filter(function (r) { return f === '' || String(r.name || '').toLowerCase().indexOf(f) >= 0 || String(r.behaviour || '').toLowerCase().indexOf(f) >= 0; });
    list.sort(function (a, b) {
      var x = a[key], y = b[key];
      if (typeof x === 'number') return y - x;
      return String(x || '').localeCompare(String(y || ''));
    });
    document.querySelectorAll('#procs-table th').forEach(function (th) { th.classList.toggle('sorted', th.getAttribute('data-sort') === key); });
    fill(document.querySelector('#procs-table tbody'), list.map(function (r) {
      return el('tr', { 'data-pid': r.pid, 'data-name': r.name || '', class: r.pid === state.selected ? 'selected' : '', onclick: function () { select(r.pid); } }, [
        el('td', { text: r.pid }), el('td', { text: r.name || '' }), el('td', { text: r.behaviour || '' }), el('td', { text: r.status }),
        el('td', { class: 'num mailbox', text: String(r.mailboxLength) }), el('td', { class: 'num', text: bytes(r.memory) }), el('td', { class: 'num handled', text: String(r.messagesHandled) }),
      ]);
    }));
    if (state.selected !== null) showDetail(state.selected, false);
  }

  function select(pid) {
    state.selected = pid;
    document.querySelectorAll('#procs-table tbody tr').forEach(function (tr) { tr.classList.toggle('selected', tr.getAttribute('data-pid') === pid); });
    showDetail(pid, true);
  }

  function showDetail(pid, fresh) {
    var aside = document.getElementById('detail');
    var node = state.node;
    fetch(withToken('/api/process?node=' + encodeURIComponent(node) + '&pid=' + encodeURIComponent(pid))).then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); }).then(function (res) {
      if (state.selected !== pid) return;
      aside.hidden = false;
      if (!res.ok) { aside.replaceChildren(el('p', { text: res.body.error })); return; }
      var d = res.body;
      var items = [
        el('h3', { text: (d.name || d.pid) }),
        el('p', { class: 'muted', text: d.pid + ' · ' + (d.module || d.behaviour || 'process') + ' · ' + d.status + (d.trapExit ? ' · traps exits' : '') }),
        el('p', { text: 'Mailbox ' + d.mailboxLength + ' · handled ' + d.messagesHandled + ' · memory ' + bytes(d.memory) }),
        el('p', { text: 'Links: ' + (d.links.length ? d.links.join(', ') : 'none') }),
        el('p', { text: 'Monitors: ' + (d.monitors.length ? d.monitors.map(String).join(', ') : 'none') + ' · monitored by ' + d.monitoredBy }),
      ];
      if (d.state !== undefined && d.state !== null) items.push(el('h4', { text: 'State' }), el('pre', { id: 'detail-state', text: d.state }));
      var traceBox = null;
      if (d.module) {
        traceBox = el('div', { id: 'detail-trace' });
        items.push(el('h4', { text: 'Last messages' }), traceBox);
      }
      if (state.allowWrite) {
        items.push(el('div', {}, [
          el('button', { id: 'kill-button', onclick: function () { if (confirm('Kill ' + pid + ' on ' + node + '?')) post('/api/kill', { node: node, pid: pid }); } }, ['Kill']),
          el('button', { id: 'send-button', onclick: function () {
            var text = prompt('Message to send to ' + pid + ' (JSON):', '"hello"');
            if (text === null) return;
            var msg; try { msg = JSON.parse(text); } catch (err) { alert('Not JSON: ' + err.message); return; }
            if (confirm('Send ' + text + ' to ' + pid + '?')) post('/api/send', { node: node, pid: pid, message: msg });
          } }, ['Send message']),
        ]));
      }
      if (fresh || aside.getAttribute('data-pid') !== pid || !aside.querySelector('button:focus')) {
        aside.setAttribute('data-pid', pid);
        aside.replaceChildren.apply(aside, items);
        if (traceBox) showTrace(traceBox, node, pid);
      } else if (aside.querySelector('#detail-trace')) showTrace(aside.querySelector('#detail-trace'), node, pid);
    });
  }

  // A server's trace: its last messages, on demand (the observer keeps the last 20, for 30 s).
  function showTrace(box, node, pid) {
    fetch(withToken('/api/trace?node=' + encodeURIComponent(node) + '&pid=' + encodeURIComponent(pid))).then(function (r) { return r.json(); }).then(function (t) {
      if (state.selected !== pid || !box.isConnected) return;
      if (t.error) { box.replaceChildren(el('p', { class: 'muted', text: t.error })); return; }
      var op = t.tracing ? 'stop' : 'start';
      var button = el('button', { id: 'trace-button', onclick: function () {
        fetch(withToken('/api/trace'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-grove-observer': '1' }, body: JSON.stringify({ node: node, pid: pid, op: op }) })
          .then(function (r) { return r.json(); })
          .then(function (b) { document.getElementById('status').textContent = b.error ? 'refused: ' + b.error : (op === 'start' ? 'tracing' : 'trace stopped'); showTrace(box, node, pid); });
      } }, [t.tracing ? 'Stop trace' : 'Trace (its last 20 events, for 30 s)']);
      var head = el('p', { class: 'muted', text: t.tracing ? 'tracing until ' + when(t.until) : (t.events.length ? 'the last trace' : 'not traced') });
      var list = el('ol', { id: 'trace-events' }, t.events.map(function (e) {
        var who = e.type === 'in' ? (e.kind + (e.from ? ' from ' + e.from : '')) : e.type === 'out' ? 'reply to ' + e.to : 'state';
        return el('li', { 'data-type': e.type }, [el('span', { class: 'muted', text: who + ': ' }), el('code', { text: e.term })]);
      }));
      box.replaceChildren(head, button, list);
    });
  }

  function post(url, body) {
    fetch(withToken(url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-grove-observer': '1' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (b) { document.getElementById('status').textContent = b.ok ? 'done' : 'refused: ' + b.error; });
  }

  // ---- applications ----

  function renderApplications(apps, e) {
    var box = document.getElementById('trees');
    box.replaceChildren.apply(box, apps.map(function (a) {
      return el('div', { class: 'app', 'data-app': a.name }, [el('h3', { text: a.name + ' ' }, [el('span', { class: 'muted', text: '(' + a.type + ')' })]), el('div', { class: 'tree' }, [el('ul', {}, [treeItem(a.tree)])])]);
    }));
    var n = e.nodes.filter(function (x) { return x.summary.name === state.node; })[0];
    var crashes = n ? n.summary.lastCrashes.slice().reverse() : [];
    fill(document.querySelector('#crash-table tbody'), crashes.map(function (c) { return el('tr', {}, [el('td', { text: c.pid }), el('td', { text: c.reason }), el('td', { text: when(c.at) })]); }));
  }

  function treeItem(t) {
    var remote = typeof t.pid === 'string' && t.pid.indexOf('#PID<' + state.node + '.') !== 0 && t.pid.indexOf('#PID<') === 0;
    var label = (t.id || t.name || (t.type === 'supervisor' ? 'supervisor' : 'worker')) + (t.name && t.id && t.name !== t.id ? ' (' + t.name + ')' : '');
    var box = el('span', { class: 'box', title: String(t.pid) }, [label, el('span', { class: 'muted', text: ' ' + (t.pid || 'not running') })]);
    var restarts = t.type === 'supervisor' && t.supervisorRestarts !== undefined ? t.supervisorRestarts : t.restarts;
    var badge = el('span', { class: 'restarts' + (t.restarts > 0 ? ' hot' : ''), title: t.type === 'supervisor' ? 'restarted ' + t.restarts + ' times; restarts made: ' + restarts : 'restarts', text: String(t.restarts) });
    var li = el('li', { class: t.type + (remote ? ' remote' : ''), 'data-child-id': t.id || '', 'data-restarts': String(t.restarts) }, [box, badge]);
    if (t.error) li.appendChild(el('span', { class: 'muted', text: ' (' + t.error + ')' }));
    if (t.children && t.children.length) li.appendChild(el('ul', {}, t.children.map(treeItem)));
    return li;
  }

  // ---- global, pg ----

  function renderGlobal(names) {
    fill(document.querySelector('#global-table tbody'), names.map(function (g) { return el('tr', { 'data-global': String(g.name) }, [el('td', { text: typeof g.name === 'string' ? g.name : JSON.stringify(g.name) }), el('td', { text: g.pid })]); }));
  }

  function renderPg(scopes) {
    var box = document.getElementById('pg-scopes');
    if (scopes.length === 0) { box.replaceChildren(el('p', { class: 'muted', text: 'No pg scope runs on this node.' })); return; }
    box.replaceChildren.apply(box, scopes.map(function (s) {
      return el('div', { class: 'app', 'data-scope': s.scope }, [el('h3', { text: 'Scope ' + s.scope }), el('table', {}, [
        el('thead', {}, [el('tr', {}, [el('th', { text: 'Group' }), el('th', { text: 'Members' })])]),
        el('tbody', {}, s.groups.map(function (g) { return el('tr', { 'data-group': String(g.group) }, [el('td', { text: typeof g.group === 'string' ? g.group : JSON.stringify(g.group) }), el('td', { text: g.members.join(', ') })]); })),
      ])]);
    }));
  }

  // ---- controls ----

  document.querySelectorAll('nav button').forEach(function (b) {
    b.addEventListener('click', function () {
      state.view = b.getAttribute('data-view');
      document.querySelectorAll('nav button').forEach(function (x) { x.classList.toggle('active', x === b); });
      document.querySelectorAll('main > section').forEach(function (s) { s.hidden = s.id !== 'view-' + state.view; });
      connect();
    });
  });
  document.getElementById('node-select').addEventListener('change', function (ev) {
    state.node = ev.target.value;
    state.selected = null;
    document.getElementById('detail').hidden = true;
    connect();
  });
  document.getElementById('filter').addEventListener('input', function (ev) { state.filter = ev.target.value; render(); });
  document.querySelectorAll('#procs-table th').forEach(function (th) {
    th.addEventListener('click', function () { state.sort = th.getAttribute('data-sort'); render(); });
  });
  connect();
})();
