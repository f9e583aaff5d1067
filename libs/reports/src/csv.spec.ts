import { csvCell, toCsv } from './csv';

describe('toCsv', () => {
  it('a header, then a line per row in the columns given, CRLF, empty cells for null', () => {
    expect(
      toCsv(
        [
          { line: 'sales', offered: 3, serviceLevel: 66.7 },
          { line: 'service', offered: 0, serviceLevel: null },
        ],
        ['line', 'offered', 'serviceLevel'],
      ),
    ).toBe('line,offered,serviceLevel\r\nsales,3,66.7\r\nservice,0,\r\n');
  });

  it('quotes cells with commas, quotes or line breaks, doubling the quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses text a spreadsheet would run as a formula; numbers stay numbers', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('@sum')).toBe("'@sum");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(true)).toBe('true');
  });
});
