/* The AutoRec book: small behaviours over sphinx-book-theme. */
(() => {
  "use strict";

  /* The menu and contents buttons. The themes bind their click handlers to
     the first .primary-toggle and .secondary-toggle of the page only, which
     sit in the top bar that book.css hides; every other such button (the
     visible ones, in the article's header) passes its click on to it. */
  function forwardToggles() {
    for (const selector of [".primary-toggle", ".secondary-toggle"]) {
      const buttons = [...document.querySelectorAll(selector)];
      const first = buttons[0];
      for (const button of buttons.slice(1)) {
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          button.blur();
          first.click();
        });
      }
    }
  }

  /* Each figure of a notebook's output opens full size on a click or tap. */
  function linkFigures() {
    for (const img of document.querySelectorAll(".bd-article div.cell_output img")) {
      if (img.closest("a")) continue;
      const link = document.createElement("a");
      link.href = img.getAttribute("src");
      link.className = "figure-full-size";
      link.title = "Open the figure full size";
      img.replaceWith(link);
      link.appendChild(img);
    }
  }

  /* Search results quote the page's text, where math is TeX source: show
     "g, f" for "\(g\), \(f\)" and "λ" for "\lambda". */
  const GREEK = {alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε",
    varepsilon: "ε", eta: "η", theta: "θ", lambda: "λ", mu: "μ", pi: "π",
    rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", omega: "ω", Sigma: "Σ",
    Omega: "Ω", ell: "ℓ", approx: "≈", times: "×", cdot: "·", le: "≤",
    leq: "≤", ge: "≥", geq: "≥", neq: "≠", in: "∈", infty: "∞", sum: "Σ",
    to: "→", mid: "|", lVert: "‖", rVert: "‖", Vert: "‖"};

  const WORDS = new Set(["log", "exp", "min", "max", "arg", "argmin", "argmax",
    "sin", "cos", "tanh", "sigmoid", "top"]);

  function plainTex(tex) {
    return tex
      .replace(/\\(?:text|mathrm|mathbf|mathcal|boldsymbol|operatorname|textrm|mathbb)\s*\{([^{}]*)\}/g, "$1")
      .replace(/\\(?:mathbf|boldsymbol|mathrm|mathcal|left|right|big|Big|displaystyle)\b\s*/g, "")
      .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "$1/$2")
      .replace(/\\([A-Za-z]+)/g, (m, name) => GREEK[name] || (WORDS.has(name) ? name : ""))
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}]/g, "")
      .replace(/[ \t]+/g, " ")
      .trim();
  }

  /* Only the math of ``text`` changes: \(...\), \[...\] and $$...$$. */
  function plainMath(text) {
    return text.replace(/\\\(([\s\S]*?)\\\)|\\\[([\s\S]*?)\\\]|\$\$([\s\S]*?)\$\$/g,
                        (m, a, b, c) => plainTex(a ?? b ?? c));
  }

  function cleanSearchSummaries() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search._autorecPlain) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (html, anchor) => plainMath(htmlToText(html, anchor));
    Search._autorecPlain = true;
  }

  const ready = (fn) => (document.readyState === "loading"
    ? document.addEventListener("DOMContentLoaded", fn) : fn());
  ready(() => {
    forwardToggles();
    linkFigures();
    cleanSearchSummaries();
  });
})();
