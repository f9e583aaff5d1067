import { Injectable, PipeTransform } from '@nestjs/common';
import { LineDirectory } from '@tether/lines';
import type { Line } from '@tether/routing';

/** `{line}` in a path: a defined line, else 404 `line_not_found` (LineNotDefined, mapped by the exception filter). */
@Injectable()
export class LineParamPipe implements PipeTransform<string, Promise<Line>> {
  constructor(private readonly lines: LineDirectory) {}

  async transform(value: string): Promise<Line> {
    return (await this.lines.require(value)).name;
  }
}
