using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>The registered signature suites, looked up by JOSE algorithm name (case-sensitive, as JOSE requires).</summary>
public sealed class SignatureSuites
{
    private readonly Dictionary<string, ISignatureSuite> _byAlgorithm = new(StringComparer.Ordinal);

    /// <summary>Creates the registry; the order of <paramref name="suites"/> is kept in <see cref="All"/>.</summary>
    /// <exception cref="ArgumentException">Two suites share an algorithm name.</exception>
    public SignatureSuites(IEnumerable<ISignatureSuite> suites)
    {
        ArgumentNullException.ThrowIfNull(suites);
        var all = new List<ISignatureSuite>();
        foreach (var suite in suites)
        {
            if (!_byAlgorithm.TryAdd(suite.Algorithm, suite))
            {
                throw new ArgumentException($"Two signature suites are registered for algorithm \"{suite.Algorithm}\".", nameof(suites));
            }

            all.Add(suite);
        }

        All = all;
    }

    /// <summary>Every registered suite, in registration order.</summary>
    public IReadOnlyList<ISignatureSuite> All { get; }

    /// <summary>Finds the suite for a JOSE <c>alg</c> value.</summary>
    public bool TryGet(string? algorithm, [NotNullWhen(true)] out ISignatureSuite? suite)
    {
        suite = null;
        return algorithm is not null && _byAlgorithm.TryGetValue(algorithm, out suite);
    }

    /// <summary>Returns the suite for a JOSE <c>alg</c> value.</summary>
    /// <exception cref="KeyNotFoundException">No suite is registered for the algorithm.</exception>
    public ISignatureSuite Get(string algorithm) =>
        TryGet(algorithm, out var suite) ? suite : throw new KeyNotFoundException($"No signature suite is registered for algorithm \"{algorithm}\".");

    /// <summary>
    /// Imports a public JWK with the suite named by its <c>alg</c> member, or else the first suite that accepts
    /// its curve.
    /// </summary>
    /// <exception cref="JwkFormatException">No registered suite accepts the JWK.</exception>
    public (ISignatureSuite Suite, byte[] SubjectPublicKeyInfo) ImportJwk(JsonObject jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        if (jwk.TryGetPropertyValue("alg", out var algNode) && algNode is JsonValue algValue && algValue.TryGetValue<string>(out var alg))
        {
            return TryGet(alg, out var named)
                ? (named, named.ImportJwk(jwk))
                : throw new JwkFormatException($"JWK \"alg\" \"{alg}\" is not a registered algorithm.");
        }

        JwkFormatException? last = null;
        foreach (var suite in All)
        {
            try
            {
                return (suite, suite.ImportJwk(jwk));
            }
            catch (JwkFormatException e)
            {
                last = e;
            }
        }

        throw last ?? new JwkFormatException("No signature suite is registered.");
    }
}
