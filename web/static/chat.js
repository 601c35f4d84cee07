(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("input");
  var banner = document.getElementById("banner");

  function add(text, who) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    return div;
  }

  function send(text, shown) {
    add(shown || text, "user");
    fetch("/api/message", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Requested-With": "frontline" },
      body: JSON.stringify({ message: text }),
      credentials: "same-origin"
    }).then(function (r) {
      if (r.status === 503) { banner.hidden = false; return { messages: [] }; }
      banner.hidden = true;
      return r.json();
    }).then(function (data) {
      (data.messages || []).forEach(function (m) {
        var div = add(m.text || "", "bot");
        (m.buttons || []).forEach(function (b) {
          var btn = document.createElement("button");
          btn.type = "button";
          btn.className = "choice";
          btn.textContent = b.title;
          btn.addEventListener("click", function () { send(b.payload, b.title); });
          div.appendChild(document.createElement("br"));
          div.appendChild(btn);
        });
      });
      input.focus();
    }).catch(function () { banner.hidden = false; });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
})();
