using SkiaSharp;
using ZXing;
using ZXing.Common;

namespace CertLibrary.QrImages;

/// <summary>
/// Reads the text of the QR code in an image (PNG, JPEG, WebP, …): SkiaSharp decodes the image, which is drawn over
/// white (so transparent pixels count as the light background) into 8-bit RGBA pixels, and ZXing.Net finds and
/// decodes the code in them.
/// </summary>
public static class QrImageDecoder
{
    /// <summary>Decodes the QR code in the image file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static QrImageResult DecodeFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Decode(File.ReadAllBytes(path));
    }

    /// <summary>Decodes the QR code in an encoded image.</summary>
    public static QrImageResult Decode(ReadOnlySpan<byte> image)
    {
        using var data = SKData.CreateCopy(image);
        using var decoded = SKImage.FromEncodedData(data);
        if (decoded is null)
        {
            return QrImageResult.Fail("the file is not an image that can be read (PNG, JPEG, WebP, GIF, BMP)");
        }

        var info = new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var rgba = new SKBitmap(info);
        using (var canvas = new SKCanvas(rgba))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawImage(decoded, 0, 0, SKSamplingOptions.Default);
        }

        var pixels = Pack(rgba);
        var reader = new BarcodeReaderGeneric
        {
            AutoRotate = true,
            Options = new DecodingOptions { PossibleFormats = [BarcodeFormat.QR_CODE], TryHarder = true },
        };
        var result = reader.Decode(new RGBLuminanceSource(pixels, rgba.Width, rgba.Height, RGBLuminanceSource.BitmapFormat.RGBA32));
        return result?.Text is { Length: > 0 } text ? new QrImageResult(text, null) : QrImageResult.Fail("no QR code found in the image");
    }

    /// <summary>The pixels row after row without padding, as <see cref="RGBLuminanceSource"/> reads them.</summary>
    private static byte[] Pack(SKBitmap bitmap)
    {
        var source = bitmap.GetPixelSpan();
        var rowLength = bitmap.Width * 4;
        if (bitmap.RowBytes == rowLength)
        {
            return source[..(rowLength * bitmap.Height)].ToArray();
        }

        var pixels = new byte[rowLength * bitmap.Height];
        for (var y = 0; y < bitmap.Height; y++)
        {
            source.Slice(y * bitmap.RowBytes, rowLength).CopyTo(pixels.AsSpan(y * rowLength));
        }

        return pixels;
    }
}

/// <summary>The text of a QR code read from an image, or why none was read.</summary>
/// <param name="Text">The decoded text; null when <paramref name="Problem"/> says why there is none.</param>
/// <param name="Problem">Why no text was read (not an image, no QR code in it).</param>
public sealed record QrImageResult(string? Text, string? Problem)
{
    internal static QrImageResult Fail(string problem) => new(null, problem);
}
