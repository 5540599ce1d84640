// Check-in desk that keeps working when the venue's network drops.
//
// The desk keeps the event's check-in list (name, country, role, badge code, reference, a small
// photo within the budget the page states; no contact or passport data) in localStorage and
// refreshes it while online: the first time the whole list, then only what changed since its
// version (and the photos only when their tag changed). When the network is
// gone, scans, typed codes and name searches are answered from that list; arrivals are queued
// on the device ("offline, N arrivals waiting") and sent to the server when the network
// returns. The server keeps the earliest time reported for a delegate, and its answer brings
// the fresh list, so every desk learns about arrivals recorded by the others.
(function () {
  "use strict";

  var SYNC_INTERVAL_MS = 10000;
  var REFRESH_INTERVAL_MS = 60000;

  function init() {
    var desk = document.getElementById("checkin-desk");
    if (!desk || !desk.getAttribute("data-roster-url") || !window.localStorage) { return; }
    var store = makeStore("seminar-checkin:" + desk.getAttribute("data-event-id"));
    var banner = document.getElementById("checkin-offline");
    var outcome = document.getElementById("checkin-outcome");
    var results = document.getElementById("checkin-results");
    var codeForm = document.getElementById("code-form");
    var searchForm = document.getElementById("search-form");
    var syncing = false;

    function msg(key, count) {
      var text = desk.getAttribute("data-msg-" + key) || "";
      return text.replace("{count}", String(count === undefined ? "" : count));
    }

    function csrfToken() {
      var meta = document.querySelector('meta[name="csrf-token"]');
      return meta ? meta.content : "";
    }

    function showBanner() {
      if (!banner) { return; }
      var waiting = store.queue().length;
      if (navigator.onLine && !waiting) {
        banner.hidden = true;
        return;
      }
      banner.hidden = false;
      banner.className = "alert mb-3 py-2 " + (navigator.onLine ? "alert-info" : "alert-warning");
      banner.textContent = navigator.onLine ? msg("uploading", waiting) : msg("offline", waiting);
    }

    function refreshPhotos(tag) {
      var url = desk.getAttribute("data-photos-url");
      if (!url || !tag || tag === store.photosTag() || !navigator.onLine) { return; }
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { store.setPhotos(data.photos || {}, tag); } })
        .catch(function () { /* keep the photos we have */ });
    }

    // the list from the server: the whole of it, or what changed since our version
    function take(data) {
      store.apply(data);
      refreshPhotos(data.photos_tag);
    }

    function refreshRoster() {
      if (!navigator.onLine) { return; }
      var url = desk.getAttribute("data-roster-url");
      var version = store.version();
      if (version) { url += (url.indexOf("?") === -1 ? "?" : "&") + "since=" + encodeURIComponent(version); }
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { take(data); } })
        .catch(function () { /* keep the list we have */ });
    }

    function sync() {
      var queue = store.queue();
      if (syncing || !queue.length || !navigator.onLine) { showBanner(); return; }
      syncing = true;
      showBanner();
      fetch(desk.getAttribute("data-sync-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ arrivals: queue, since: store.version() })
      }).then(function (response) {
        if (response.status === 400 || response.status === 403) {
          // the session or its token expired: reload to log in again; the queue stays stored
          window.location.reload();
          return null;
        }
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (!data) { return; }
        store.dropQueued(queue.length);
        take(data);
        if (window.htmx) { window.htmx.trigger(document.body, "checkin-changed"); }
      }).catch(function () { /* still offline: try again later */ }).then(function () {
        syncing = false;
        showBanner();
      });
    }

    // --- answering from the list on the device -----------------------------------------------

    // the delegate's small photo from the list on the device (a data: URL), or null
    function photoOf(person, width, height, className) {
      if (!person || !person.photo || String(person.photo).indexOf("data:image/jpeg;base64,") !== 0) {
        return null;
      }
      var img = document.createElement("img");
      img.src = person.photo;
      img.width = width;
      img.height = height;
      img.className = className;
      img.alt = msg("photo-alt").replace("{name}", person.name || "");
      img.setAttribute("data-desk-photo", "");
      return img;
    }

    function say(kind, title, lines, person) {
      var colours = { success: "success", already: "warning", error: "danger" };
      var box = document.createElement("div");
      box.className = "alert alert-" + colours[kind] + " border-3 mb-0 py-3";
      box.setAttribute("role", "alert");
      box.setAttribute("data-outcome", kind);
      var photo = photoOf(person, 105, 135, "float-end ms-2 rounded border");
      if (photo) { box.appendChild(photo); }
      var head = document.createElement("div");
      head.className = "fs-3 fw-bold lh-sm";
      head.textContent = title;
      box.appendChild(head);
      lines.forEach(function (line) {
        if (!line) { return; }
        var div = document.createElement("div");
        div.className = "fs-5 mt-1 text-break";
        div.textContent = line;
        box.appendChild(div);
      });
      outcome.replaceChildren(box);
      outcome.scrollIntoView({ block: "nearest" });
    }

    function summary(person) {
      return [person.name, person.country, person.role].filter(Boolean).join(" — ");
    }

    function timeOf(iso) {
      var date = new Date(iso);
      return isNaN(date) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }

    function checkInLocally(code) {
      var person = store.find(code);
      if (!person) {
        say("error", msg("not-found-title"), [msg("not-found")]);
        return;
      }
      if (person.checked_in_at) {
        say("already", msg("already-title"), [summary(person), person.organisation,
          msg("already").replace("{time}", timeOf(person.checked_in_at))], person);
        return;
      }
      var now = new Date().toISOString();
      store.markArrived(person, now);
      say("success", msg("queued-title"), [summary(person), person.organisation, msg("queued")],
        person);
      showBanner();
    }

    function fold(text) {
      return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    }

    function searchLocally(query) {
      var words = fold(query).split(/\s+/).filter(Boolean);
      results.replaceChildren();
      if (!words.length) { return; }
      var found = store.roster().filter(function (person) {
        var haystack = fold([person.name, person.organisation, person.reference].join(" "));
        return words.every(function (word) { return haystack.indexOf(word) !== -1; });
      }).slice(0, 20);
      if (!found.length) {
        var none = document.createElement("p");
        none.className = "text-body-secondary mb-0";
        none.textContent = msg("no-match");
        results.appendChild(none);
        return;
      }
      var list = document.createElement("ul");
      list.className = "list-group";
      found.forEach(function (person) {
        var item = document.createElement("li");
        item.className = "list-group-item d-flex justify-content-between align-items-center gap-2";
        var photo = photoOf(person, 56, 72, "rounded border");
        if (photo) { item.appendChild(photo); }
        var text = document.createElement("div");
        text.className = "text-break flex-grow-1";
        text.textContent = summary(person);
        item.appendChild(text);
        if (person.checked_in_at) {
          var badge = document.createElement("span");
          badge.className = "badge text-bg-success";
          badge.textContent = msg("arrived-badge");
          item.appendChild(badge);
        } else {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-success";
          button.textContent = msg("check-in");
          button.addEventListener("click", function () {
            checkInLocally(person.code);
            searchLocally(query);
          });
          item.appendChild(button);
        }
        list.appendChild(item);
      });
      results.appendChild(list);
    }

    function handleLocally(form) {
      if (form === codeForm) {
        var input = codeForm.querySelector("input[name=code]");
        checkInLocally(input ? input.value : "");
        if (input) { input.value = ""; }
        return true;
      }
      if (form === searchForm) {
        var q = searchForm.querySelector("input[name=q]");
        searchLocally(q ? q.value : "");
        return true;
      }
      return false;
    }

    // Offline: answer from the device instead of sending the request.
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (navigator.onLine) { return; }
      var source = event.detail.elt;
      var form = source && source.closest ? source.closest("form") : null;
      if (form && (form === codeForm || form === searchForm)) {
        event.preventDefault();
        handleLocally(form);
      } else if (source && source.id === "checkin-counter") {
        event.preventDefault();  // the counter waits for the network
      }
    });
    // The request failed on the way (the browser thought it was online): same answer.
    document.body.addEventListener("htmx:sendError", function (event) {
      var source = event.detail.elt;
      var form = source && source.closest ? source.closest("form") : null;
      if (form) { handleLocally(form); }
    });
    // Without htmx (or before it loads), plain form posts also stay on the device offline.
    [codeForm, searchForm].forEach(function (form) {
      if (!form) { return; }
      form.addEventListener("submit", function (event) {
        if (!window.htmx && !navigator.onLine && handleLocally(form)) { event.preventDefault(); }
      });
    });

    window.addEventListener("online", function () { refreshRoster(); sync(); });
    window.addEventListener("offline", showBanner);
    window.setInterval(sync, SYNC_INTERVAL_MS);
    window.setInterval(function () { if (!store.queue().length) { refreshRoster(); } },
      REFRESH_INTERVAL_MS);
    showBanner();
    if (store.queue().length) { sync(); } else { refreshRoster(); }
    keepPageOffline(desk);
  }

  // Reloading the desk without a network: a service worker answers from a cache that holds
  // this page and its scripts and styles (cached here at once, as the worker only sees the
  // requests made after it starts).
  function keepPageOffline(desk) {
    var workerUrl = desk.getAttribute("data-sw-url");
    if (!workerUrl || !("serviceWorker" in navigator) || !window.caches) { return; }
    navigator.serviceWorker.register(workerUrl, { scope: desk.getAttribute("data-sw-scope") })
      .catch(function () { /* no offline reload: the open page still works offline */ });
    var urls = [window.location.pathname];
    document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel~=icon][href]").forEach(function (el) {
      var address = new URL(el.src || el.href, window.location.href);
      if (address.origin === window.location.origin) { urls.push(address.pathname + address.search); }
    });
    window.caches.open("checkin-pages-v1").then(function (cache) {
      return cache.addAll(urls);
    }).then(function () {
      desk.setAttribute("data-offline-ready", "true");
    }).catch(function () { /* the network went first: next time */ });
  }

  // The list and the queue, kept in localStorage under one key per event (the photos under a
  // second one, so that a full storage loses photos before it loses the list). The list is kept
  // as the server sends it: compact rows (fields in data.fields order) and the names of the
  // countries and roles they refer to.
  function makeStore(key) {
    var photoKey = key + ":photos";
    function load() {
      try {
        var data = JSON.parse(window.localStorage.getItem(key) || "{}");
        return { rows: data.rows || [], fields: data.fields || [], countries: data.countries || {},
          roles: data.roles || {}, version: data.version || "", queue: data.queue || [] };
      } catch (error) {
        return { rows: [], fields: [], countries: {}, roles: {}, version: "", queue: [] };
      }
    }
    function save(data) {
      try { window.localStorage.setItem(key, JSON.stringify(data)); } catch (error) { /* full */ }
    }
    function loadPhotos() {
      try {
        return JSON.parse(window.localStorage.getItem(photoKey) || "{}");
      } catch (error) {
        return {};
      }
    }
    function normal(code) { return String(code || "").replace(/\s+/g, "").toUpperCase(); }
    function people(data) {
      var photos = loadPhotos().photos || {};
      var waiting = {};
      data.queue.forEach(function (item) { waiting[normal(item.code)] = item.at; });
      return data.rows.map(function (row) {
        var person = {};
        data.fields.forEach(function (field, index) { person[field] = row[index]; });
        person.country = data.countries[person.country] || person.country;
        person.role = data.roles[person.role] || person.role;
        person.photo = photos[String(person.id)] || null;
        // arrivals still queued here stay marked until the server has them
        var at = waiting[normal(person.code)];
        if (at && !person.checked_in_at) { person.checked_in_at = at; }
        return person;
      });
    }
    return {
      roster: function () { return people(load()); },
      queue: function () { return load().queue; },
      version: function () { return load().version; },
      photosTag: function () { return loadPhotos().tag || ""; },
      apply: function (changes) {
        var data = load();
        var fields = changes.fields || data.fields;
        if (changes.full || fields.join() !== data.fields.join()) {
          data.rows = changes.rows || [];
        } else {
          var gone = {};
          (changes.removed || []).forEach(function (id) { gone[id] = true; });
          (changes.rows || []).forEach(function (row) { gone[row[0]] = true; });
          data.rows = data.rows.filter(function (row) { return !gone[row[0]]; })
            .concat(changes.rows || []);
        }
        data.fields = fields;
        Object.assign(data.countries, changes.countries || {});
        Object.assign(data.roles, changes.roles || {});
        data.version = changes.version || "";
        save(data);
      },
      setPhotos: function (photos, tag) {
        try {
          window.localStorage.setItem(photoKey, JSON.stringify({ tag: tag, photos: photos }));
        } catch (error) { /* full: the desk works without photos */ }
      },
      find: function (code) {
        var wanted = normal(code);
        if (!wanted) { return null; }
        return people(load()).filter(function (person) {
          return normal(person.code) === wanted || normal(person.reference) === wanted;
        })[0] || null;
      },
      markArrived: function (person, at) {
        var data = load();
        data.queue.push({ code: person.code, at: at });
        save(data);
      },
      dropQueued: function (count) {
        var data = load();
        data.queue = data.queue.slice(count);
        save(data);
      }
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
