'use strict';
// An order-pricing function with its own test suite (index.test.js, Jest) written with
// fc-container/testing: an Initializer that loads the price list once per instance, an event
// function that prices an order, and an HTTP function that lists the prices.
let prices;

exports.initialize = async (context) => {
  prices = { tea: 3, cake: 5 };
  context.logger.info('prices loaded', Object.keys(prices).length);
};

exports.invoke = async (event, context) => {
  const order = JSON.parse(event.toString('utf8'));
  if (!Array.isArray(order.items)) throw new TypeError('order.items must be an array');
  const unknown = order.items.find((item) => !(item in prices));
  if (unknown) throw new RangeError(`no price for ${unknown}`);
  if (order.slow) {
    // Waits for the function's timeout: context.signal aborts then.
    await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
  }
  const total = order.items.reduce((sum, item) => sum + prices[item], 0);
  console.log(`order ${order.id}: ${order.items.length} items, total ${total}`);
  return { id: order.id, total };
};

exports.http = (req, res) => {
  if (req.method === 'GET' && req.url === '/api/prices') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(prices));
    return;
  }
  res.statusCode = 404;
  res.end();
};
