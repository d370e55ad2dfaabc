using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>Reads and writes public EC JWKs (RFC 7518 §6.2.1) with 32-byte coordinates (public for signature-suite plug-ins).</summary>
public static class EcJwk
{
    public const int CoordinateSize = 32;

    public static JsonObject Create(string curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => new()
    {
        ["kty"] = "EC",
        ["crv"] = curve,
        ["x"] = Base64Url.Encode(x),
        ["y"] = Base64Url.Encode(y),
    };

    public static (byte[] X, byte[] Y) ReadCoordinates(JsonObject jwk, string curve)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        if (ReadString(jwk, "kty") != "EC")
        {
            throw new JwkFormatException("JWK \"kty\" must be \"EC\".");
        }

        var crv = ReadString(jwk, "crv");
        if (crv != curve)
        {
            throw new JwkFormatException($"JWK \"crv\" must be \"{curve}\".");
        }

        if (jwk.ContainsKey("d"))
        {
            throw new JwkFormatException("JWK carries private key material (\"d\"); only public keys are accepted.");
        }

        return (ReadCoordinate(jwk, "x"), ReadCoordinate(jwk, "y"));
    }

    private static byte[] ReadCoordinate(JsonObject jwk, string name)
    {
        var text = ReadString(jwk, name) ?? throw new JwkFormatException($"JWK \"{name}\" is missing.");
        if (!Base64Url.TryDecode(text, out var bytes))
        {
            throw new JwkFormatException($"JWK \"{name}\" is not base64url.");
        }

        return bytes.Length == CoordinateSize
            ? bytes
            : throw new JwkFormatException($"JWK \"{name}\" must be {CoordinateSize} bytes.");
    }

    private static string? ReadString(JsonObject jwk, string name)
    {
        if (!jwk.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new JwkFormatException($"JWK \"{name}\" must be a string.");
    }
}
