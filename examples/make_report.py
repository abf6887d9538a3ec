"""用 Python 写出一份年度报告的数据，检查后生成 Word、Excel 和 PDF（PDF 需要 LibreOffice，未安装时会说明）。

这是隆德县城关镇2021年政府信息公开工作年度报告（与 examples/longde-chengguan-2021.toml 相同）。
各单位可复制本文件，改成自己的机关名称、日期、文字和数字，然后运行：

    python examples/make_report.py [输出目录]

表格只填各类申请人的数字；“总计”一律由程序计算，不需要也不应该手工填写。
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import reportkit
from reportkit import (
    Agency,
    AgencyKind,
    AnnualReport,
    ApplicantCounts,
    Applications,
    DocumentCounts,
    InformationFees,
    OtherMatters,
    Overview,
    ProactiveDisclosure,
    Problems,
    ReportInfo,
    ReviewLitigation,
)
from reportkit.fs import atomic_write_bytes  # 先写临时文件再改名：不会留下写了一半的文件
from reportkit.names import safe_filename
from reportkit.render.pdf import find_soffice

# 六类申请人的顺序：自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他
NONE = ApplicantCounts.of([0, 0, 0, 0, 0, 0])


def build_report() -> AnnualReport:
    """城关镇2021年度报告的全部数据。"""
    return AnnualReport(
        # 机关：落款名称、标题中的名称、类型（government 人民政府 / department 部门 / township 乡镇 / subdistrict 街道）
        agency=Agency("城关镇人民政府", AgencyKind.TOWNSHIP, title_name="隆德县城关镇"),
        # 报告年度、成文日期（落款日期）、公布日期、开篇说明
        report=ReportInfo(
            year=2021,
            signed_on=dt.date(2022, 1, 19),
            published_on=dt.date(2022, 1, 19),
            preamble="根据《中华人民共和国政府信息公开条例》规定和《国务院办公厅政府信息与政务公开办公室关于印发<中华人民共和国政府信息公开工作年度报告格式>的通知》(国办公开办函〔2021〕30号)要求,现发布《隆德县城关镇2021年政府信息公开工作年度报告》,本报告统计数据从2021年1月1日至12月31日。",
        ),
        # 一、总体情况：段落之间用空行（\n\n）分隔
        overview=Overview(
            intro="2021年,我镇坚持以习近平新时代中国特色社会主义思想为指导,全面贯彻党的十九大和十九届五中、六中全会精神,坚持以人民为中心,深化政务公开,切实加强政府信息公开工作的组织领导,规范政务新媒体平台信息发布和管理,扎实推进基层政务公开工作的标准化、规范化建设。",
            proactive=(
                "2021年,我镇在隆德县人民政府网站政务公开专栏主动公开信息共计78条。"
                "其中,在法定主动公开内容栏目中,发布机构职能栏目1条;在财政资金栏目中,发布财政预决算及“三公”经费栏目1条;在公共资源配置栏目中,发布征地拆迁栏目1条;在社会公益事业建设栏目中,发布医疗保障栏目1条,社会救助栏目41条,养老服务栏目3条;在减税降费栏目中,发布法律服务1条;在新闻中心栏目中,发布乡镇信息29条。"
            ),
            on_request=(
                "镇高度重视依申请公开工作,不断完善制度机制,进一步规范了政府信息公开的申请登记、审核、办理、答复、归档环节。"
                "20211月1日至202112月31日,我镇未收到群众的政府信息公开申请要求。"
            ),
            management=(
                "我镇高度重视政务公开工作,成立了由镇党委书记、镇长和分管领导组成的政务公开工作领导小组。"
                "做到思想统一,职责分清,形成领导重视、组织高效分工协作的良好工作机制。"
                "同时按照上级有关文件要求,全面梳理我镇政府信息公开目录,并且确定责任到各中心(办公室)。"
                "规范信息发布标准和要求,推动信息公开规范化,各中心(办公室)严格按照栏目要求及时发布公开内容。"
            ),
            platforms="全镇以政府门户网站为政务公开第一平台,大力实施“互联网+政务”,利用信息化手段丰富信息公开形式,拓宽信息公开渠道,以政务信息网络平台和政府内政务公开宣传栏为载体,将现代方法与传统方法相结合,加大宣传力度,营造良好氛围,确保政府信息公开工作依法有序开展。",
            oversight=(
                "一是加大对政务公开工作的督查力度。"
                "组织专门人员对政务公开的相关工作开展情况进行检查,对政务公开工作开展较差的村(社区)进行多次培训、现场督查,取得了良好的效果。"
                "二是完善政务公开工作保密审查制度。"
                "按照“谁提供、谁审核、谁负责”的原则审核后公开。"
                "三是实行政务公开工作考核制度。"
                "按照分级负责、加强协作、促进工作的原则,从组织领导、公开内容、公开重点、公开形式、公开制度、公开效果等方面进行考核。"
            ),
        ),
        # 二、主动公开政府信息情况
        proactive=ProactiveDisclosure(
            regulations=DocumentCounts(issued=0, repealed=0, in_force=0),  # 规章
            normative_documents=DocumentCounts(issued=0, repealed=0, in_force=0),  # 行政规范性文件
            licensing=0,  # 行政许可
            penalty=0,  # 行政处罚
            coercion=0,  # 行政强制
            fees_wan_yuan=Decimal("0"),  # 行政事业性收费（万元）
        ),
        # 三、收到和处理政府信息公开申请情况：未列出的行一律为 0
        applications=Applications(
            new=NONE,  # 一、本年新收
            carried_over=NONE,  # 二、上年结转
            disclosed=NONE,  # （一）予以公开
            carried_forward=NONE,  # 四、结转下年度继续办理
        ),
        # 四、行政复议、行政诉讼：未列出的一律为 0
        review_litigation=ReviewLitigation(),
        # 五、存在的主要问题及改进情况
        problems=Problems(
            "2021年,我镇政府信息公开工作虽取得了一定进步,但与社会公众的需求,与上级部门的要求,还有一定差距,主要表现为:一是政府信息公开是一项全新工作,工作人员和社会公众对此认知尚浅;二是基础设施还有待提高,部分农村群众缺乏计算机网络知识等客观因素致使镇政府政务信息门户网站利用率不高;三是部分信息公布不够及时。"
            "信息数量、质量亟待提升。"
            "\n\n"
            "2022年,针对政府信息公开工作中存在问题,我镇将根据县政府的统一安排部署,认真查找并纠正问题,努力克服和解决困难,有序有效推进政府信息公开工作开展。"
            "做好以下工作:\n\n"
            "(一)加强政府信息公开信息员队伍建设,通过加强培训,提升信息员综合素质,提高工作效率。"
            "\n\n"
            "(二)广泛宣传,营造氛围。"
            "扩展宣传范围,深化政府信息;加强政府信息公开典型经验、先进做法宣传报道,引导群众主动关心政府信息公开,依法有序参与政府信息公开。"
            "\n\n"
            "(三)加大政府信息采集和发布力度,提高信息质量, 丰富公开内容。"
            "广泛听取群众的意见和建议,重点公开人民群众普遍关心的热点、焦点问题。"
        ),
        # 六、其他需要报告的事项，及信息处理费（收费通知件数、通知金额、实收金额，单位：元）
        other=OtherMatters(
            (
                "(一)聚焦政策落实,深化重点领域信息公开。"
                "一是加强各类规划信息的公开。"
                "我镇依托政府信息公开平台,主动公开各类计划。"
                "及时归集整理各类规划,做好政策解读,在政府网站主动公开。"
                "二是加强财政信息公开。"
                "我镇主动公开财政预决算及“三公”经费等相关内容,同时在社会公益事业建设栏中公开医疗保障、高龄补贴及社会救助等相关信息,推动补贴信息公开向村和社区延伸。"
                "\n\n"
                "(二)提高服务水平,加强政策解读和回应关切。"
                "一是优化改进政策解读方式。"
                "我镇围绕政策背景、出台目的及重要举措等,运用图片图表及音频视频等形式对部分政策进行立体式、多方位解读,真正让群众看得到、能理解。"
                "同时加强重大政策咨询服务,设立政策咨询综合服务窗口,为企业及群众提供“一号答”“一站式”的政策咨询服务。"
                "二是增强回应关切政民互动。"
                "主动与宣传部、 网信办等相关部门联系沟通,完善重大政务舆情信息共享、协同联动、快速反应机制。"
                "做到群众来信“件件有回音”, 主动公开有代表性的群众来信办理情况,定期公开信箱办理统计数据。"
                "及时查看政府网站和政务新媒体群众留言,对群众反映强烈的问题或重要的意见建议, 并且及时梳理,采取妥善方式予以回应。"
                "\n\n"
                "(三)提升工作质量,规范公开制度和平台建设。"
                "一是规范政务信息公开管理。"
                "我镇要坚持以公开为常态、不公开为例外,按照职责分工负责县政府网站相关栏目内容的收集、编辑、审核和发布等工作, 实行分级管理和严格把关,发布到县政府网站的信息须经本单位分管领导审核、主要领导审签,确保发布的信息真实、 完整、合法,严防涉密信息上网。"
                "二是规范政务公开平台建设。"
                "不断推动政务公开、办事服务、政民互动等板块均衡、融合发展。"
                "持续健全政务新媒体监管机制, 有效清理整合“娱乐化”“空壳化”等问题, 提高监管效能,杜绝重复建设并定期进行检查。"
                "三是我镇严格按照要求,规范政府信息公开依申请办理。"
                "四是规范政府开放活动。"
                "我镇着眼于加强部门自身建设、保障群众合法权益、促进社会和谐稳定, 围绕卫生健康、安全生产、教育公平、 医疗保障等关注度高的重点领域,每年9月集中开展政府开放系列活动,让更多群众知晓理解、认同支持政府工作,在此过程中,及时改进工作薄弱环节、弥补工作不足,推进政府开放活动深入开展。"
                "\n\n"
                "(四)聚焦目标任务,抓实政务公开监督指导。"
                "一是进一步加强组织领导。"
                "我镇严格按照“谁制作谁公开,谁保存谁公开”的要求,及时召开工作会议推进工作开展, 明确责任分工。"
                "二是进一步加强宣传引导。"
                "我镇高度重视政务公开信息的报送,及时向政务公开办公室报送政务公开工作动态。"
                "三是为了加强队伍建设,提升业务能力,我镇坚持教育培训,切实增强依法依规公开意识。"
                "\n\n"
                "2021年未收取政府信息处理费。"
            ),
            InformationFees(notices=0, notified_yuan=Decimal("0"), collected_yuan=Decimal("0")),
        ),
    )


def main(outdir: str = "out") -> int:
    report = build_report()
    findings = reportkit.check(report)
    for finding in findings:
        print(finding)
    if any(f.severity is reportkit.Severity.ERROR for f in findings):
        print("报告有错误，请改正后再生成。")
        return 1
    folder = Path(outdir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = safe_filename(report.title)  # 标题作文件名，去掉各系统不允许的字符
    written = [
        atomic_write_bytes(folder / f"{stem}.docx", reportkit.render_docx(report)),
        atomic_write_bytes(folder / f"{stem}.xlsx", reportkit.render_xlsx(report)),
    ]
    if find_soffice():  # PDF 由 LibreOffice 把 Word 文件转换而来
        written.append(atomic_write_bytes(folder / f"{stem}.pdf", reportkit.render_pdf(report)))
    for path in written:
        print(f"已生成：{path}")
    if not find_soffice():
        print("未生成 PDF：没有找到 LibreOffice（soffice）。安装 LibreOffice 后重新运行即可生成 PDF；")
        print("  Debian/Ubuntu：apt-get install libreoffice-writer；Windows/macOS：从 libreoffice.org 安装；")
        print("  已安装但不在 PATH 中时，设置环境变量 REPORTKIT_SOFFICE 为 soffice 的完整路径。")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
