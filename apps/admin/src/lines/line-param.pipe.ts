import { Injectable, NotFoundException, PipeTransform } from '@nestjs/common';
import { LINES, Line } from '@tether/routing';

@Injectable()
export class LineParamPipe implements PipeTransform<string, Line> {
  transform(value: string): Line {
    if (!(LINES as readonly string[]).includes(value)) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'line_not_found',
        message: `line must be one of: ${LINES.join(', ')}`,
      });
    }
    return value as Line;
  }
}
