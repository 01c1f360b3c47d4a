// Minimal chat page for the walking skeleton: talks to Rasa's REST channel.
// Text is always inserted with textContent, never as HTML.
(function () {
  "use strict";
  var config = window.LEERWIJZER_CONFIG;
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var sender = sessionStorage.getItem("leerwijzer-sender");
  if (!sender) {
    sender = "web-" + Math.random().toString(36).slice(2);
    sessionStorage.setItem("leerwijzer-sender", sender);
  }

  function show(who, text, buttons) {
    var item = document.createElement("li");
    item.className = who;
    var body = document.createElement("p");
    body.textContent = text;
    item.appendChild(body);
    (buttons || []).forEach(function (button) {
      var choice = document.createElement("button");
      choice.type = "button";
      choice.textContent = button.title;
      choice.addEventListener("click", function () { send(button.payload, button.title); });
      item.appendChild(choice);
    });
    list.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function send(message, shownAs) {
    show("user", shownAs || message);
    fetch(config.serverUrl + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message })
    })
      .then(function (response) { return response.json(); })
      .then(function (answers) {
        answers.forEach(function (answer) { show("bot", answer.text || "", answer.buttons); });
      })
      .catch(function () {
        show("bot", "Er ging iets mis met de verbinding. Probeer het later nog eens.");
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { send(text); }
    input.value = "";
  });
  send("/greet", "Hallo");
})();
