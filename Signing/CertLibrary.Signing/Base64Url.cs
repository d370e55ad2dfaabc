using System.Buffers;

namespace CertLibrary.Signing;

/// <summary>
/// Strict base64url (RFC 4648 §5) without padding, as JOSE requires (RFC 7515 §2).
/// Decoding rejects padding, whitespace, characters outside the alphabet and non-zero trailing bits,
/// so every byte string has exactly one accepted encoding.
/// </summary>
public static class Base64Url
{
    private static readonly SearchValues<char> Alphabet = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>Encodes <paramref name="data"/> as unpadded base64url.</summary>
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    /// <summary>Decodes unpadded base64url; returns <see langword="false"/> on any malformed input.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] data)
    {
        data = [];
        if (text.Length % 4 == 1)
        {
            return false;
        }

        if (text.ContainsAnyExcept(Alphabet))
        {
            return false;
        }

        // Canonical form: the unused low bits of the last character must be zero.
        if (text.Length % 4 != 0)
        {
            var last = Value(text[^1]);
            var mask = text.Length % 4 == 2 ? 0x0F : 0x03;
            if ((last & mask) != 0)
            {
                return false;
            }
        }

        var buffer = new byte[System.Buffers.Text.Base64Url.GetMaxDecodedLength(text.Length)];
        if (!System.Buffers.Text.Base64Url.TryDecodeFromChars(text, buffer, out var written))
        {
            return false;
        }

        data = written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
        return true;
    }

    /// <summary>Decodes unpadded base64url.</summary>
    /// <exception cref="FormatException">The text is not canonical unpadded base64url.</exception>
    public static byte[] Decode(ReadOnlySpan<char> text) =>
        TryDecode(text, out var data) ? data : throw new FormatException("The value is not canonical unpadded base64url.");


    private static int Value(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
