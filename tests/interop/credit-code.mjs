// GB 32100 check character, written from the standard's description (not from the C# code), no dependencies:
// the 31 characters 0-9 A-Y without I O S V Z have the values 0..30; weight i is 3^i mod 31; the check character is
// the one whose value is 31 - (weighted sum mod 31), where 31 is 0.
// Usage: node credit-code.mjs CODE...   (each CODE: 17 characters → prints the 18-character code; 18 → prints "valid"/"invalid")
const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const weights = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

function check(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = alphabet.indexOf(first17[i]);
    if (value < 0) throw new Error(`character ${first17[i]} at ${i + 1} is not in the GB 32100 alphabet`);
    sum += value * weights[i];
  }
  return alphabet[(31 - (sum % 31)) % 31];
}

for (const arg of process.argv.slice(2)) {
  const code = arg.toUpperCase();
  if (code.length === 17) console.log(code + check(code));
  else if (code.length === 18) console.log(check(code.slice(0, 17)) === code[17] ? 'valid' : 'invalid');
  else throw new Error(`expected 17 or 18 characters, got ${code.length}`);
}
