using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;

namespace CertLibrary.Signing.Sm2;

/// <summary>
/// Holder binding of the format-2 offline QR (SPEC §5): the first 12 bytes of scrypt(normalised identity number,
/// 12-byte salt, N = 2^15, r = 8, p = 1, 32 bytes). It lives beside SM2 because this is the one project that
/// references BouncyCastle, and the BCL has no scrypt. Each call costs tens of milliseconds and 32 MiB.
/// </summary>
public static class HolderBindingKdf
{
    /// <summary>Bytes of the random salt.</summary>
    public const int SaltLength = 12;

    /// <summary>Bytes of the binding kept in the QR.</summary>
    public const int BindingLength = 12;

    /// <summary>scrypt cost parameter N.</summary>
    public const int Cost = 1 << 15;

    /// <summary>scrypt block size r.</summary>
    public const int BlockSize = 8;

    /// <summary>scrypt parallelisation p.</summary>
    public const int Parallelism = 1;

    /// <summary>Bytes scrypt derives, of which the first <see cref="BindingLength"/> are kept.</summary>
    public const int DerivedLength = 32;

    /// <summary>Computes the binding of <paramref name="idNumber"/> (trimmed, upper-cased) under <paramref name="salt"/>.</summary>
    public static byte[] Compute(string idNumber, ReadOnlySpan<byte> salt)
    {
        ArgumentNullException.ThrowIfNull(idNumber);
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException($"The salt has {SaltLength} bytes.", nameof(salt));
        }

        var password = Encoding.UTF8.GetBytes(idNumber.Trim().ToUpperInvariant());
        var derived = SCrypt.Generate(password, salt.ToArray(), Cost, BlockSize, Parallelism, DerivedLength);
        CryptographicOperations.ZeroMemory(password);
        var binding = derived.AsSpan(0, BindingLength).ToArray();
        CryptographicOperations.ZeroMemory(derived);
        return binding;
    }

    /// <summary>Draws a random salt and computes the binding of <paramref name="idNumber"/> under it.</summary>
    public static (byte[] Salt, byte[] Binding) Create(string idNumber)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        return (salt, Compute(idNumber, salt));
    }

    /// <summary>Whether <paramref name="idNumber"/> (as typed from the holder's ID card) has this binding; false for malformed input.</summary>
    public static bool Matches(ReadOnlySpan<byte> binding, ReadOnlySpan<byte> salt, string? idNumber) =>
        idNumber is { Length: > 0 and <= 64 } && binding.Length == BindingLength && salt.Length == SaltLength
        && CryptographicOperations.FixedTimeEquals(Compute(idNumber, salt), binding);
}
