namespace CertLibrary.Identifiers.Tests;

public sealed class FieldNumberTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("2")]
    [InlineData("-3.25")]
    [InlineData("9007199254740991")]
    [InlineData("-9007199254740991")]
    [InlineData("1.5e3")]
    [InlineData("1E-300")]
    [InlineData("0e999")]
    [InlineData("3.14159265358979323846264338327")]
    public void IsValid_FiniteWithinTwoToThe53_True(string literal) => Assert.True(FieldNumber.IsValid(literal));

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1E+309")]
    [InlineData("9007199254740992")]
    [InlineData("9007199254740993")]
    [InlineData("-9007199254740993")]
    [InlineData("1e16")]
    [InlineData("1e-400")]
    [InlineData("-0.1e-330")]
    [InlineData("0.000000000000000000000000000000001")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1,5")]
    public void IsValid_UnboundedOrNotANumber_False(string literal) => Assert.False(FieldNumber.IsValid(literal));

    [Fact]
    public void IsValid_FiveThousandDigitInteger_False() => Assert.False(FieldNumber.IsValid(new string('7', 5000)));
}
