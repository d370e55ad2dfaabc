using System.Security.Cryptography;
using CertLibrary.Signing.Sm2;

namespace CertLibrary.Signing.Tests.TestSupport;

public static class TestFixtures
{
    public const string Department = "11100000000013338W";
    public const string OtherDepartment = "11110000000021135M";

    public static SignatureSuites Suites { get; } = new([new Es256Suite(), new Sm2Suite()]);

    public static ISignatureSuite Suite(string algorithm) => Suites.Get(algorithm);

    public static TheoryData<string> Algorithms => new() { Es256Suite.AlgorithmName, Sm2Suite.AlgorithmName };

    public static KeyManager CreateKeyManager(TimeProvider time, ISigningKeyStore? store = null) =>
        new(store ?? new InMemorySigningKeyStore(), new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32)), Suites, time);

    /// <summary>Resolver over the keys a key manager holds, like a server-side verifier would use.</summary>
    public static async Task<StaticJwsKeyResolver> ResolverAsync(KeyManager keys) =>
        new((await keys.GetAllKeysAsync(CancellationToken.None)).Select(k =>
            new JwsVerificationKey(Suites.Get(k.Algorithm), k.KeyId, k.SubjectPublicKeyInfo)
            {
                OwnerCode = k.OwnerCode,
                NotBefore = k.NotBefore,
                RetiredAt = k.RetiredAt,
                RevokedAt = k.RevokedAt,
            }));

    public static JwsSigner Signer(string algorithm, out JwsVerificationKey key)
    {
        var suite = Suite(algorithm);
        var pair = suite.GenerateKeyPair();
        var kid = KeyId.Compute(pair.SubjectPublicKeyInfo);
        key = new JwsVerificationKey(suite, kid, pair.SubjectPublicKeyInfo);
        return new JwsSigner(algorithm, kid, suite.CreateSigner(pair.Pkcs8PrivateKey));
    }
}
