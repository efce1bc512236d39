// SPDX-License-Identifier: Apache-2.0
// The mTLS server of seeds 003/004, unchanged but for where it reads its files and port:
// requestCert + rejectUnauthorized, answering "Hello World".
const https = require('https');
const fs = require('fs');

const hostname = '127.0.0.1';
const port = Number(process.env.PORT || 3000);

const options = {
  ca: fs.readFileSync(process.env.CA || 'ca.crt'),
  cert: fs.readFileSync(process.env.CERT || 'server.crt'),
  key: fs.readFileSync(process.env.KEY || 'server.key'),
  rejectUnauthorized: true,
  requestCert: true,
};

const server = https.createServer(options, (req, res) => {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain');
  res.end('Hello World');
});

server.listen(port, hostname, () => {
  const actual = server.address().port;
  if (process.env.PORT_FILE) {
    fs.writeFileSync(process.env.PORT_FILE, String(actual));
  }
  console.log(`Server running at https://${hostname}:${actual}/`);
});
// Stop by itself if a test forgets it.
setTimeout(() => process.exit(0), 240000).unref();
