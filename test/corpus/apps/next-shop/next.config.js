// Plain defaults: the corpus tests what a new user of Next.js gets.
module.exports = {};
