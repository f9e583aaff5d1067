import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@tether/auth';
import {
  AgentReportRow,
  IncidentReportRow,
  LineReportRow,
  ReportPage,
  ReportQuery,
  ReportService,
  toCsv,
} from '@tether/reports';
import { AgentReportQueryDto, IncidentReportQueryDto, ReportQueryDto } from './report-query.dto';
import { scopedLine } from '../auth/line-scope';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';

/** The figures every row carries, in the CSV's column order. */
const FIGURE_COLUMNS = [
  'offered',
  'answered',
  'abandoned',
  'abandonedDuringOffer',
  'avgTimeToAbandonSeconds',
  'serviceLevelTargetSeconds',
  'answeredWithinTarget',
  'serviceLevel',
  'asaSeconds',
  'ahtSeconds',
  'longestWaitSeconds',
  'transfers',
  'transfersPerContact',
  'stickyHits',
  'stickyHitRate',
  'stickyAsaSeconds',
  'caseOwnerHits',
  'caseOwnerHitRate',
  'caseOwnerAsaSeconds',
  'repeatEligible',
  'repeats',
  'repeatContactRate',
  'firstContactResolution',
  'csatResponses',
  'csatScore',
] as const;

const wantsCsv = (accept: string | undefined) => /\btext\/csv\b/i.test(accept ?? '');

/** The report's query, its `line` within the principal's lines (a supervisor: one of theirs). */
function toQuery(
  dto: ReportQueryDto & { agentId?: string; incidentId?: string },
  principal: Principal,
): ReportQuery {
  return {
    ...dto,
    line: scopedLine(principal, dto.line),
    from: new Date(dto.from),
    to: new Date(dto.to),
    bucket: dto.bucket ?? 'day',
  };
}

/**
 * Outcome reports (libs/reports): JSON pages by default, CSV with `Accept: text/csv` (the page's rows; the paging
 * in the `Link` header either way). Admins; supervisors read their lines' (`line`: one of theirs, or their only one).
 */
@ApiTags('reports')
@Roles('admin', 'supervisor')
@ApiBearerAuth()
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportService) {}

  @Get('lines')
  @ApiOperation({
    summary:
      'Per line, channel and bucket: offered, answered, abandoned (and time to abandon), service level, ASA, AHT, longest wait, transfers, sticky and case-owner hits, repeat contacts, first-contact resolution, CSAT',
  })
  @ApiProduces('application/json', 'text/csv')
  async lines(
    @Query() query: ReportQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReportPage<LineReportRow> | string> {
    const page = await this.reports.lines(toQuery(query, principal));
    return this.answer('lines', query, page, ['bucket', 'line', 'channel', ...FIGURE_COLUMNS], accept, reply);
  }

  @Get('agents')
  @ApiOperation({
    summary:
      'Per agent and bucket: offers, rejected, expired, transfers out, and the figures of the contacts the agent answered',
  })
  @ApiProduces('application/json', 'text/csv')
  async agents(
    @Query() query: AgentReportQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReportPage<AgentReportRow> | string> {
    const page = await this.reports.agents(toQuery(query, principal));
    return this.answer(
      'agents',
      query,
      page,
      [
        'bucket',
        'agentId',
        'offers',
        'rejected',
        'expired',
        'transfersOut',
        'handlingSeconds',
        'staffedSeconds',
        'occupancy',
        ...FIGURE_COLUMNS,
      ],
      accept,
      reply,
    );
  }

  @Get('incidents')
  // an incident's figures are not cut by line: an admin's
  @Roles('admin')
  @ApiOperation({
    summary: 'Per incident and bucket: the figures of its linked contacts and the notices sent (admins)',
  })
  @ApiProduces('application/json', 'text/csv')
  async incidents(
    @Query() query: IncidentReportQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReportPage<IncidentReportRow> | string> {
    const page = await this.reports.incidents(toQuery(query, principal));
    return this.answer(
      'incidents',
      query,
      page,
      ['bucket', 'incidentId', 'notices', ...FIGURE_COLUMNS],
      accept,
      reply,
    );
  }

  private answer<Row extends object>(
    name: string,
    query: object,
    page: ReportPage<Row>,
    columns: readonly (keyof Row & string)[],
    accept: string | undefined,
    reply: FastifyReply,
  ): ReportPage<Row> | string {
    if (page.nextPage !== null) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query))
        if (value !== undefined) params.set(key, String(value));
      params.set('page', String(page.nextPage));
      void reply.header('link', `</v1/reports/${name}?${params.toString()}>; rel="next"`);
    }
    if (!wantsCsv(accept)) return page;
    void reply.header('content-type', 'text/csv; charset=utf-8');
    return toCsv(page.rows, columns);
  }
}
