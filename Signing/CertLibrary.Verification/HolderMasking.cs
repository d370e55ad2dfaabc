using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CertLibrary.Verification;

/// <summary>Masked holder data of a QR code (SPEC §5): a masked name and a salted, truncated hash of the identity number.</summary>
public static class HolderMasking
{
    /// <summary>Bytes of the random salt.</summary>
    public const int SaltLength = 16;

    /// <summary>Masks a name keeping its first and last character: 张小三 → 张*三, 张三 → 张*, 张 → 张.</summary>
    public static string MaskName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(name.Trim());
        while (enumerator.MoveNext())
        {
            elements.Add(enumerator.GetTextElement());
        }

        return elements.Count switch
        {
            0 => "",
            1 => elements[0],
            2 => elements[0] + "*",
            _ => elements[0] + "*" + elements[^1],
        };
    }

    /// <summary>Holder binding: base64url of the first 16 bytes of SHA-256(salt ‖ normalised identity number).</summary>
    public static string Bind(ReadOnlySpan<byte> salt, string idNumber)
    {
        ArgumentNullException.ThrowIfNull(idNumber);
        var normalised = Encoding.ASCII.GetBytes(idNumber.Trim().ToUpperInvariant());
        var input = new byte[salt.Length + normalised.Length];
        salt.CopyTo(input);
        normalised.CopyTo(input.AsSpan(salt.Length));
        return CertLibrary.Signing.Base64Url.Encode(SHA256.HashData(input).AsSpan(0, 16));
    }

    /// <summary>Checks a binding against an identity number read from the holder's ID card.</summary>
    public static bool Matches(string holderBinding, string saltBase64Url, string idNumber) =>
        CertLibrary.Signing.Base64Url.TryDecode(saltBase64Url, out var salt)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Bind(salt, idNumber)), Encoding.ASCII.GetBytes(holderBinding ?? ""));
}
