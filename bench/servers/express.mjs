// express@4, idiomatic: express.raw() for the event body, res.json() for the GET. No FC work.
import express from 'express';

const port = Number(process.env.PORT) || 9000;
const app = express();

app.post('/initialize', (req, res) => {
  res.set('x-fc-status', '200').status(200).end();
});

app.post('/invoke', express.raw({ type: () => true, limit: '6mb' }), (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  res.set('x-fc-status', '200').type('application/octet-stream').send(body);
});

app.get('/api/hello', (req, res) => {
  res.json({ hello: req.query.name });
});

app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready express ${port}\n`);
});
