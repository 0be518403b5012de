// Loads the six libraries of service.js and exits: the start-up work (loading and patching) that
// callgrind counts in bench/README.md, without the clients' connections.
require('express');
require('pg');
require('ioredis');
require('mysql2/promise');
require('amqplib');
require('pino');
