namespace CertLibrary.Signing.Tests.TestSupport;

/// <summary>
/// Signs and verifies from several threads over more keys than a thread keeps prepared native contexts for, and checks
/// every answer of the suite against an independent reference verifier.
/// </summary>
public static class NativeAgreement
{
    /// <summary>What went wrong (empty when the suite and the reference agree everywhere).</summary>
    /// <param name="suite">The suite whose native path is under test (its signer and <see cref="ISignatureSuite.Verify"/>).</param>
    /// <param name="referenceVerify">The independent implementation: SubjectPublicKeyInfo, data, signature → valid.</param>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(ISignatureSuite suite, Func<byte[], byte[], byte[], bool> referenceVerify)
    {
        var keys = Enumerable.Range(0, 12).Select(_ => suite.GenerateKeyPair()).ToArray();
        var signers = keys.Select(k => suite.CreateSigner(k.Pkcs8PrivateKey)).ToArray();

        var failures = await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var problems = new List<string>();
            for (var i = 0; i < 60; i++)
            {
                var k = (i * 5 + worker) % keys.Length;
                var data = System.Text.Encoding.UTF8.GetBytes($"worker {worker} message {i}" + new string('x', i * 7));
                var signature = signers[k].Sign(data);
                var tampered = (byte[])signature.Clone();
                tampered[i % 64] ^= 0x01;
                var other = keys[(k + 1) % keys.Length].SubjectPublicKeyInfo;
                if (signature.Length != 64 || !referenceVerify(keys[k].SubjectPublicKeyInfo, data, signature)
                    || referenceVerify(keys[k].SubjectPublicKeyInfo, data, tampered))
                {
                    problems.Add($"key {k}, message {i}: the reference disagrees with the signature");
                }

                if (!suite.Verify(keys[k].SubjectPublicKeyInfo, data, signature) || suite.Verify(keys[k].SubjectPublicKeyInfo, data, tampered)
                    || suite.Verify(other, data, signature) || suite.Verify(keys[k].SubjectPublicKeyInfo, [.. data, 0], signature))
                {
                    problems.Add($"key {k}, message {i}: native verification disagrees with the reference");
                }
            }

            return problems;
        })));

        return [.. failures.SelectMany(f => f)];
    }
}
