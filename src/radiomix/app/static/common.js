/* radiomix app pages: what both pages (index.html, batch.html) share: the message area and
 * the call to the app's JSON API, whose errors arrive as one sentence ({"error": ...}).
 * Plain JavaScript, no dependencies; loaded before each page's own script. */
"use strict";

window.radiomix = (function () {
  /** An error the server (or the connection to it) gave; `status` holds the HTTP status. */
  class ApiError extends Error {}

  /** The server's error as a sentence: capital first letter, full stop at the end. */
  function asSentence(text) {
    const t = String(text).trim();
    if (!t) return t;
    const s = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?]$/.test(s) ? s : s + ".";
  }

  /** Show `text` in the page's #message region (aria-live: a screen reader announces it). */
  function showError(text) {
    const m = document.getElementById("message");
    m.textContent = "";
    // a fresh text node so that screen readers announce a repeated message
    window.setTimeout(() => {
      m.textContent = text;
    }, 10);
    m.classList.add("shown");
  }

  function clearError() {
    const m = document.getElementById("message");
    m.textContent = "";
    m.classList.remove("shown");
  }

  /** fetch() of an app endpoint: the response when it is 2xx, else an ApiError holding the
   * server's sentence. With `token`, the request carries it as a bearer token (without it,
   * the HttpOnly cookie set by /?token= authorises the call). */
  async function api(path, options, token) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({}, opts.headers || {});
    if (token) opts.headers.Authorization = "Bearer " + token;
    let resp;
    try {
      resp = await fetch(path, opts);
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError("The app server could not be reached: is radiomix app still running?");
    }
    if (!resp.ok) {
      let sentence = "";
      try {
        const body = await resp.json();
        sentence = body && (body.error || (typeof body.detail === "string" ? body.detail : ""));
      } catch (_) {
        sentence = "";
      }
      if (!sentence) {
        sentence =
          resp.status === 401
            ? "This app needs its token: open the address with ?token=… that radiomix app printed."
            : "The server answered " + resp.status + " " + (resp.statusText || "") + ".";
      }
      const e = new ApiError(asSentence(sentence));
      e.status = resp.status;
      throw e;
    }
    return resp;
  }

  return { ApiError, api, asSentence, clearError, showError };
})();
