using CertLibrary.Testing;

namespace CertLibrary.Identifiers.Tests;

public sealed class FieldNumberTests
{
    public static TheoryData<string> Bounded => new(NumberLiterals.Bounded);

    public static TheoryData<string> Unbounded => new(NumberLiterals.Unbounded);

    [Theory]
    [MemberData(nameof(Bounded))]
    public void IsValid_FiniteWithinTwoToThe53_True(string literal) => Assert.True(FieldNumber.IsValid(literal));

    [Theory]
    [MemberData(nameof(Unbounded))]
    public void IsValid_Unbounded_False(string literal) => Assert.False(FieldNumber.IsValid(literal));

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1,5")]
    public void IsValid_NotANumber_False(string literal) => Assert.False(FieldNumber.IsValid(literal));
}
