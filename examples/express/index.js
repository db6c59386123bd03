'use strict';
// An Express app as an HTTP function. `fc-container serve index.js` (the image's CMD) listens on
// FC's port, applies FC's limits and header rules, prints FC's log markers and shuts down
// gracefully; the app stays a plain Express app. With --async-context, getContext() gives the
// invocation's context (request id, credentials, function metadata) anywhere in a request.
const express = require('express');
const { getContext } = require('fc-container');

const app = express();
app.use(express.json());

app.get('/api/orders/:id', (req, res) => {
  res.json({ id: req.params.id, requestId: getContext()?.requestId });
});

app.post('/api/orders', (req, res) => {
  getContext()?.logger.info('order received', req.body);
  res.status(201).json({ created: req.body });
});

module.exports = { http: app };
